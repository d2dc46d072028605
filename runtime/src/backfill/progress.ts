/** Progress of a long run: a bar on a terminal, a JSON line every few seconds otherwise. */
export interface ProgressState {
  done: number;
  total: number;
  startedAt: number;
  /** Done when this run started (resumed work is not this run's speed). */
  doneAtStart: number;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : m > 0 ? `${m}m${String(s % 60).padStart(2, '0')}s` : `${s % 60}s`;
}

export function progressNumbers(p: ProgressState, now: number) {
  const elapsed = Math.max(0.001, (now - p.startedAt) / 1000);
  const rate = (p.done - p.doneAtStart) / elapsed;
  const left = Math.max(0, p.total - p.done);
  return { done: p.done, total: p.total, percent: p.total > 0 ? Math.min(100, (100 * p.done) / p.total) : 100, docsPerSecond: Math.round(rate), etaSeconds: rate > 0 ? Math.round(left / rate) : null };
}

export function progressBar(p: ProgressState, now: number, width = 30): string {
  const n = progressNumbers(p, now);
  const filled = Math.round((n.percent / 100) * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${n.done}/${n.total} docs ${n.percent.toFixed(1)}% ${n.docsPerSecond} docs/s ETA ${n.etaSeconds === null ? '--' : formatDuration(n.etaSeconds)}`;
}

export class ProgressReporter {
  private state: ProgressState | undefined;
  private timer?: NodeJS.Timeout;
  private stopped = false;

  constructor(
    private readonly mode: 'bar' | 'json' | 'none',
    private readonly out: NodeJS.WriteStream = process.stderr,
    private readonly intervalMs = mode === 'bar' ? 250 : 5000,
  ) {}

  update(done: number, total: number): void {
    if (!this.state) this.state = { done, total, startedAt: Date.now(), doneAtStart: done };
    this.state.done = done;
    this.state.total = Math.max(total, done);
    if (!this.timer && this.mode !== 'none') {
      this.timer = setInterval(() => this.render(), this.intervalMs);
      this.timer.unref();
    }
  }

  render(): void {
    if (!this.state) return;
    if (this.mode === 'bar') this.out.write(`\r${progressBar(this.state, Date.now())}`);
    else if (this.mode === 'json') this.out.write(`${JSON.stringify({ progress: progressNumbers(this.state, Date.now()), time: new Date().toISOString() })}\n`);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.state && this.mode !== 'none' && !this.stopped) {
      this.stopped = true;
      this.render();
      if (this.mode === 'bar') this.out.write('\n');
    }
  }
}
