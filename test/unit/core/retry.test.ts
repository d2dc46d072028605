import { Backoff, backoffDelayMs, BackoffPolicy, retryAfterMs, RetryClock, withRetries } from '../../../runtime/src/core/retry';
import { Semaphore } from '../../../runtime/src/core/semaphore';

/** A clock that moves only when the code under test sleeps. */
function fakeTime(random = () => 0.5) {
  let now = 1_000_000;
  const slept: number[] = [];
  const clock: RetryClock = { now: () => now, random };
  const sleep = async (ms: number) => {
    slept.push(ms);
    now += ms;
  };
  return { clock, sleep, slept, advance: (ms: number) => (now += ms) };
}

const policy: BackoffPolicy = { baseMs: 100, capMs: 1000, maxAttempts: 5 };

describe('backoff with jitter', () => {
  it('doubles from the base, with jitter in the upper half, up to the cap', () => {
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffDelayMs(policy, n, () => 0))).toEqual([50, 100, 200, 400, 500, 500]);
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffDelayMs(policy, n, () => 0.999999))).toEqual([100, 200, 400, 800, 1000, 1000].map((v) => expect.closeTo(v, 2)));
    expect(backoffDelayMs(policy, 10_000, () => 0)).toBe(500);
  });

  it('stops after the attempt limit: 5 attempts are 4 waits', () => {
    const t = fakeTime();
    const b = new Backoff(policy, t.clock);
    const waits = [b.next(), b.next(), b.next(), b.next(), b.next()];
    expect(waits).toEqual([75, 150, 300, 600, undefined]);
    expect(b.attempts).toBe(5);
  });

  it('waits at least as long as Retry-After, but never longer than the cap', () => {
    const t = fakeTime();
    const b = new Backoff(policy, t.clock);
    expect(b.next(400)).toBe(400);
    expect(b.next(0)).toBe(150);
    expect(b.next(60_000)).toBe(1000);
  });

  it('gives up when the next wait would end past the overall deadline', () => {
    const t = fakeTime();
    const b = new Backoff({ ...policy, maxAttempts: Infinity, deadlineMs: 1000 }, t.clock);
    expect(b.next()).toBe(75);
    t.advance(900);
    expect(b.next()).toBeUndefined();
    // A deadline already spent allows no retry at all.
    expect(new Backoff({ ...policy, deadlineMs: 0 }, t.clock).next()).toBeUndefined();
  });
});

describe('Retry-After', () => {
  const now = Date.parse('2026-12-01T12:00:00Z');
  it('reads delta-seconds and HTTP-dates', () => {
    expect(retryAfterMs('3', now)).toBe(3000);
    expect(retryAfterMs(' 0 ', now)).toBe(0);
    expect(retryAfterMs(['2', '9'], now)).toBe(2000);
    expect(retryAfterMs('Tue, 01 Dec 2026 12:00:30 GMT', now)).toBe(30_000);
    expect(retryAfterMs('Tue, 01 Dec 2026 11:00:00 GMT', now)).toBe(0);
  });

  it('ignores what it cannot read', () => {
    for (const v of [undefined, '', 'soon', '-5', '12abc', '1e3']) expect(retryAfterMs(v, now)).toBeUndefined();
  });
});

describe('withRetries', () => {
  it('retries what the caller calls retryable, honouring its Retry-After, and returns the last answer when spent', async () => {
    const t = fakeTime();
    let calls = 0;
    const result = await withRetries(async () => ({ status: 429, n: ++calls }), {
      policy,
      retryAfter: (o) => (o.ok && o.value.status === 429 ? 200 : undefined),
      clock: t.clock,
      sleep: t.sleep,
    });
    expect(calls).toBe(5);
    expect(result).toEqual({ status: 429, n: 5 });
    expect(t.slept).toEqual([200, 200, 300, 600]);
  });

  it('returns a final answer at once and throws a final error at once', async () => {
    const t = fakeTime();
    await expect(withRetries(async () => 'ok', { policy, retryAfter: () => undefined, sleep: t.sleep })).resolves.toBe('ok');
    let calls = 0;
    const boom = withRetries(
      async () => {
        calls++;
        throw Object.assign(new Error('refused'), { code: calls < 3 ? 'ECONNRESET' : 'EACCES' });
      },
      { policy, retryAfter: (o) => (!o.ok && (o.error as { code: string }).code === 'ECONNRESET' ? 0 : undefined), clock: t.clock, sleep: t.sleep },
    );
    await expect(boom).rejects.toThrow('refused');
    expect(calls).toBe(3);
    expect(t.slept).toEqual([75, 150]);
  });
});

describe('semaphore', () => {
  it('lets `limit` holders in, and hands each released slot to the next waiter in order', async () => {
    const s = new Semaphore(2);
    const order: string[] = [];
    await s.take();
    await s.take();
    const c = s.take().then(() => order.push('c'));
    const d = s.take().then(() => order.push('d'));
    expect(s.inFlight).toBe(2);
    s.release();
    await c;
    expect(order).toEqual(['c']);
    s.release();
    await d;
    expect(order).toEqual(['c', 'd']);
    s.release();
    s.release();
    expect(s.inFlight).toBe(0);
  });
});
