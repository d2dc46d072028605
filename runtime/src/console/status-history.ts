import { DEFAULT_WORKING_STATE_INDEX } from '../backfill/lease-store';
import { UserError } from '../core/errors';
import { readWorkingState } from './commands/services';
import type { ConsoleContext } from './context';
import { describeTraffic, kafkaSection, REPLAYER_GROUP, TRAFFIC_TOPIC } from './kafka-admin';

/** One look at the migration: documents copied per index, and the capture topic's records, replayed records and lag. */
export interface StatusSample {
  /** ms since the epoch. */
  t: number;
  backfill?: Record<string, number>;
  kafka?: { records: number; replayed: number; lag: number };
}

export interface StatusHistory {
  intervalMs: number;
  /** The capture topic and the replayers' group the Kafka samples are of, and the backfill's working-state index. */
  topic: string;
  group: string;
  workingStateIndex: string;
  samples: StatusSample[];
  /** Why a part is missing from the samples (not configured, unreachable), by part. */
  notes: Record<string, string>;
}

/** What the status page follows. */
export interface StatusWatch {
  topic: string;
  group: string;
  workingStateIndex: string;
}

export const DEFAULT_WATCH: StatusWatch = { topic: TRAFFIC_TOPIC, group: REPLAYER_GROUP, workingStateIndex: DEFAULT_WORKING_STATE_INDEX };

/** Whether the part is there to sample at all: a section services.yaml lacks is a note, not an error. */
function note(err: unknown): string {
  return err instanceof UserError ? err.message : `unexpected: ${(err as Error).message}`;
}

/**
 * Samples the migration's progress every intervalMs while the API runs, so that the status page
 * draws it over time (also for what happened before the page was opened). Bounded: the oldest
 * samples go first.
 */
export class StatusSampler {
  private readonly samples: StatusSample[] = [];
  private readonly notes: Record<string, string> = {};
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(
    private readonly ctx: ConsoleContext,
    readonly intervalMs: number,
    private readonly watched: StatusWatch = DEFAULT_WATCH,
    private readonly maxSamples = 4000,
  ) {}

  start(): void {
    if (this.timer) return;
    void this.sampleNow();
    this.timer = setInterval(() => void this.sampleNow(), this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  history(): StatusHistory {
    return { intervalMs: this.intervalMs, ...this.watched, samples: [...this.samples], notes: { ...this.notes } };
  }

  /** One sample now; a sample still being taken is waited for rather than doubled. */
  sampleNow(): Promise<void> {
    this.running ??= this.take().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async take(): Promise<void> {
    const sample: StatusSample = { t: Date.now() };
    await Promise.all([
      readWorkingState(this.ctx, this.watched.workingStateIndex).then(
        (w) => {
          if (w) sample.backfill = Object.fromEntries(w.indices.map((i) => [i.index, i.docsDone]));
          this.setNote('backfill', w ? undefined : 'no backfill has started (no working state on the target)');
        },
        (err) => this.setNote('backfill', note(err)),
      ),
      this.ctx
        .config()
        .then((config) => describeTraffic(kafkaSection(config, this.ctx.env), this.watched.topic, this.watched.group))
        .then(
          (k) => {
            sample.kafka = { records: k.records, replayed: k.partitions.reduce((n, p) => n + (p.committed ?? p.earliest) - p.earliest, 0), lag: k.lag };
            this.setNote('kafka', undefined);
          },
          (err) => this.setNote('kafka', note(err)),
        ),
    ]);
    this.samples.push(sample);
    if (this.samples.length > this.maxSamples) this.samples.splice(0, this.samples.length - this.maxSamples);
  }

  private setNote(part: string, text: string | undefined): void {
    if (text === undefined) delete this.notes[part];
    else this.notes[part] = text;
  }
}
