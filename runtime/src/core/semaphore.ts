/**
 * A bound on work in flight. Callback form for hot paths (the replayer's send loop allocates no
 * promise per request); take() for async code.
 */
export class Semaphore {
  private readonly waiters: (() => void)[] = [];
  private used = 0;

  constructor(private readonly limit: number) {}

  get inFlight(): number {
    return this.used;
  }

  /** Takes a slot now (true), or calls granted once one is handed over (false). */
  acquire(granted: () => void): boolean {
    if (this.used < this.limit) {
      this.used++;
      return true;
    }
    this.waiters.push(granted);
    return false;
  }

  /** Resolves once a slot is ours. */
  take(): Promise<void> {
    return new Promise<void>((resolve) => {
      if (this.acquire(resolve)) resolve();
    });
  }

  release(): void {
    const next = this.waiters.shift();
    // The slot passes on; the waiter runs in a microtask, not deep inside the releaser's stack.
    if (next) queueMicrotask(next);
    else this.used--;
  }
}
