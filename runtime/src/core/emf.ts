/**
 * CloudWatch embedded metric format: JSON log lines on stdout that CloudWatch Logs turns into
 * metrics (namespace OpenSearchMigrations, dimension stage), so that ECS tasks need no agent and no
 * PutMetricData permission. Enabled by METRICS_FORMAT=emf, which the CDK app sets on every task.
 */

export const EMF_NAMESPACE = 'OpenSearchMigrations';

export type MetricKind = 'counter' | 'gauge';

export interface EmfMetric {
  kind: MetricKind;
  unit?: 'Count' | 'Bytes' | 'Milliseconds' | 'None';
}

export function emfLine(namespace: string, stage: string, values: Record<string, number>, units: Record<string, string>, timestamp: number): string {
  const names = Object.keys(values);
  return JSON.stringify({
    _aws: {
      Timestamp: timestamp,
      CloudWatchMetrics: [{ Namespace: namespace, Dimensions: [['stage']], Metrics: names.map((n) => ({ Name: n, Unit: units[n] ?? 'Count' })) }],
    },
    stage,
    ...values,
  });
}

export interface EmfReporterOptions {
  metrics: Record<string, EmfMetric>;
  /** Current totals (counters) and levels (gauges), by metric name. */
  read: () => Record<string, number>;
  intervalMs?: number;
  env?: NodeJS.ProcessEnv;
  write?: (line: string) => void;
  now?: () => number;
}

export interface EmfReporter {
  /** Publishes once more (what happened since the last line) and stops. */
  stop(): void;
  /** One line now: counters as the increase since the previous line, gauges as they are. */
  report(): void;
}

/** Starts a reporter when METRICS_FORMAT=emf, else returns undefined. */
export function startEmfReporter(opts: EmfReporterOptions): EmfReporter | undefined {
  const env = opts.env ?? process.env;
  if (env.METRICS_FORMAT !== 'emf') return undefined;
  const namespace = env.METRICS_NAMESPACE ?? EMF_NAMESPACE;
  const stage = env.MIGRATION_STAGE ?? 'local';
  const write = opts.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  const now = opts.now ?? Date.now;
  const units = Object.fromEntries(Object.entries(opts.metrics).map(([n, m]) => [n, m.unit ?? 'Count']));
  let previous: Record<string, number> = {};
  const report = () => {
    const current = opts.read();
    const values: Record<string, number> = {};
    for (const [name, m] of Object.entries(opts.metrics)) {
      const v = current[name];
      if (v === undefined || !Number.isFinite(v)) continue;
      values[name] = m.kind === 'counter' ? v - (previous[name] ?? 0) : v;
    }
    previous = current;
    if (Object.keys(values).length) write(emfLine(namespace, stage, values, units, now()));
  };
  const timer = setInterval(report, opts.intervalMs ?? 60_000);
  timer.unref();
  return {
    report,
    stop: () => {
      clearInterval(timer);
      report();
    },
  };
}
