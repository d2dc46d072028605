/**
 * The one retry policy of every service: exponential backoff with equal jitter, a cap on each
 * wait, a limit on attempts and an overall deadline; a server's Retry-After (seconds or an
 * HTTP-date) is a floor under the wait. Pure: the clock, the randomness and the sleep are injected.
 */

export interface BackoffPolicy {
  /** The wait before the first retry; it doubles with each retry. */
  readonly baseMs: number;
  /** No single wait is longer (Retry-After included). */
  readonly capMs: number;
  /** Attempts in all, the first included (Infinity: only the deadline bounds them). */
  readonly maxAttempts: number;
  /** No retry starts, and no wait ends, later than this long after the first attempt. @default Infinity */
  readonly deadlineMs?: number;
}

export interface RetryClock {
  now(): number;
  /** In [0, 1). */
  random(): number;
}

export const systemClock: RetryClock = { now: () => Date.now(), random: Math.random };

/** The wait before retry `retry` (1 = the first retry): in [cap/2, cap), cap = min(capMs, base·2^(retry-1)). */
export function backoffDelayMs(policy: BackoffPolicy, retry: number, random: () => number = Math.random): number {
  const cap = Math.min(policy.capMs, policy.baseMs * 2 ** Math.min(Math.max(retry - 1, 0), 30));
  return cap / 2 + random() * (cap / 2);
}

/**
 * A Retry-After header in ms: delta-seconds ("120") or an HTTP-date ("Wed, 21 Oct 2015 07:28:00 GMT").
 * undefined when absent or unreadable; a date in the past is 0.
 */
export function retryAfterMs(value: string | readonly string[] | undefined, now = Date.now()): number | undefined {
  const text = (Array.isArray(value) ? value[0] : value)?.trim();
  if (!text) return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) || !/[a-z]/i.test(text) ? undefined : Math.max(0, at - now);
}

/** The retries of one operation: ask next() after each failed attempt. */
export class Backoff {
  private readonly startedAt: number;
  private attemptsMade = 1;

  constructor(
    private readonly policy: BackoffPolicy,
    private readonly clock: RetryClock = systemClock,
  ) {
    this.startedAt = clock.now();
  }

  /** Attempts made so far (the first included). */
  get attempts(): number {
    return this.attemptsMade;
  }

  /**
   * The wait before the next attempt, or undefined when the attempts are spent or the wait would
   * end past the deadline. `floorMs` is the server's Retry-After, if it gave one.
   */
  next(floorMs?: number): number | undefined {
    if (this.attemptsMade >= this.policy.maxAttempts) return undefined;
    const jittered = backoffDelayMs(this.policy, this.attemptsMade, this.clock.random);
    const wait = Math.min(this.policy.capMs, Math.max(jittered, floorMs ?? 0));
    if (this.clock.now() + wait - this.startedAt > (this.policy.deadlineMs ?? Infinity)) return undefined;
    this.attemptsMade++;
    return wait;
  }
}

export type Outcome<T> = { ok: true; value: T } | { ok: false; error: unknown };

export interface RetryOptions<T> {
  policy: BackoffPolicy;
  /** undefined: the outcome is final; a number: worth another attempt, waiting at least that long (a Retry-After, or 0). */
  retryAfter(outcome: Outcome<T>): number | undefined;
  onRetry?(outcome: Outcome<T>, waitMs: number, attempt: number): void;
  clock?: RetryClock;
  sleep?: (ms: number) => Promise<void>;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Runs `attempt` until its outcome is final or the policy is spent; then returns the last value
 * or throws the last error (a retryable answer that ran out of attempts is returned as it is).
 */
export async function withRetries<T>(attempt: (n: number) => Promise<T>, opts: RetryOptions<T>): Promise<T> {
  const backoff = new Backoff(opts.policy, opts.clock);
  const pause = opts.sleep ?? sleep;
  for (;;) {
    const n = backoff.attempts;
    let outcome: Outcome<T>;
    try {
      outcome = { ok: true, value: await attempt(n) };
    } catch (error) {
      outcome = { ok: false, error };
    }
    const floor = opts.retryAfter(outcome);
    const wait = floor === undefined ? undefined : backoff.next(floor);
    if (wait === undefined) {
      if (outcome.ok) return outcome.value;
      throw outcome.error;
    }
    opts.onRetry?.(outcome, wait, n);
    await pause(wait);
  }
}
