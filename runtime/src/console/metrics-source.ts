import { CloudWatchClient, GetMetricDataCommand, ListMetricsCommand } from '@aws-sdk/client-cloudwatch';
import { request } from 'undici';
import { EMF_NAMESPACE } from '../core/emf';
import { UserError } from '../core/errors';
import type { ServicesYaml } from '../core/services-yaml';

/** The services that publish metrics, by the reference's component names (and ours for the backfill). */
export const COMPONENTS = ['captureProxy', 'replayer', 'backfill'] as const;
export type Component = (typeof COMPONENTS)[number];
export const STATISTICS = ['SampleCount', 'Average', 'Sum', 'Minimum', 'Maximum'] as const;
export type Statistic = (typeof STATISTICS)[number];

/** Each service's metric names start with its prefix: captureRequests (EMF), capture_proxy_requests_total (Prometheus). */
const PREFIXES: Record<Component, RegExp> = {
  captureProxy: /^capture(_proxy_|[A-Z])/,
  replayer: /^replay(er_|[A-Z])/,
  backfill: /^backfill(_|[A-Z])/,
};

export function componentOf(metric: string): Component | undefined {
  return COMPONENTS.find((c) => PREFIXES[c].test(metric));
}

/** Metric names by component; names of no known service go under "other". */
export function groupByComponent(names: Iterable<string>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const n of new Set(names)) (out[componentOf(n) ?? 'other'] ??= []).push(n);
  for (const list of Object.values(out)) list.sort();
  return out;
}

export interface MetricPoint {
  timestamp: string;
  value: number;
}

export interface MetricsSource {
  readonly kind: 'cloudwatch' | 'prometheus';
  list(): Promise<Record<string, string[]>>;
  data(metric: string, statistic: Statistic, start: Date, end: Date, periodSeconds: number): Promise<MetricPoint[]>;
}

type MetricsYaml = NonNullable<ServicesYaml['metrics_source']>;

/** CloudWatch: the EMF metrics the services publish, namespace OpenSearchMigrations, dimension stage = the qualifier. */
class CloudWatchSource implements MetricsSource {
  readonly kind = 'cloudwatch';
  private readonly region?: string;
  private readonly stage: string;

  constructor(cfg: NonNullable<MetricsYaml['cloudwatch']>, env: NodeJS.ProcessEnv) {
    this.region = cfg.aws_region ?? env.AWS_REGION;
    this.stage = cfg.qualifier ?? env.MIGRATION_STAGE ?? 'local';
  }

  private async call<T>(what: string, fn: (cw: CloudWatchClient) => Promise<T>): Promise<T> {
    const cw = new CloudWatchClient({ region: this.region });
    try {
      return await fn(cw);
    } catch (err) {
      throw new UserError('METRICS_SOURCE_FAILED', `CloudWatch ${what}: ${(err as Error).name}: ${(err as Error).message}`);
    } finally {
      cw.destroy();
    }
  }

  list() {
    return this.call('ListMetrics', async (cw) => {
      const names: string[] = [];
      let token: string | undefined;
      do {
        const out = await cw.send(new ListMetricsCommand({ Namespace: EMF_NAMESPACE, Dimensions: [{ Name: 'stage', Value: this.stage }], NextToken: token }));
        for (const m of out.Metrics ?? []) if (m.MetricName) names.push(m.MetricName);
        token = out.NextToken;
      } while (token);
      return groupByComponent(names);
    });
  }

  data(metric: string, statistic: Statistic, start: Date, end: Date, periodSeconds: number) {
    return this.call('GetMetricData', async (cw) => {
      const points: MetricPoint[] = [];
      let token: string | undefined;
      do {
        const out = await cw.send(
          new GetMetricDataCommand({
            MetricDataQueries: [{ Id: 'm0', MetricStat: { Metric: { Namespace: EMF_NAMESPACE, MetricName: metric, Dimensions: [{ Name: 'stage', Value: this.stage }] }, Period: periodSeconds, Stat: statistic } }],
            StartTime: start,
            EndTime: end,
            ScanBy: 'TimestampAscending',
            NextToken: token,
          }),
        );
        const r = out.MetricDataResults?.[0];
        (r?.Timestamps ?? []).forEach((t, i) => points.push({ timestamp: new Date(t).toISOString(), value: r!.Values![i] }));
        token = out.NextToken;
      } while (token);
      return points.sort((a, b) => a.timestamp.localeCompare(b.timestamp));
    });
  }
}

const PROMETHEUS_AGGREGATION: Record<Statistic, string> = { SampleCount: 'count', Average: 'avg', Sum: 'sum', Minimum: 'min', Maximum: 'max' };

/** Prometheus: the services' /metrics as a Prometheus server scraped them. */
class PrometheusSource implements MetricsSource {
  readonly kind = 'prometheus';

  constructor(private readonly endpoint: string) {}

  private async get(path: string, query: Record<string, string>): Promise<any> {
    const url = new URL(path, this.endpoint);
    for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
    let status: number;
    let body: any;
    try {
      const res = await request(url, { headersTimeout: 15_000, bodyTimeout: 15_000 });
      status = res.statusCode;
      body = await res.body.json().catch(() => undefined);
    } catch (err) {
      throw new UserError('METRICS_SOURCE_FAILED', `Prometheus at ${this.endpoint}: ${(err as Error).message}`);
    }
    if (status !== 200 || body?.status !== 'success') throw new UserError('METRICS_SOURCE_FAILED', `Prometheus ${url.pathname} answered ${status}: ${body?.error ?? 'not a Prometheus API answer'}`);
    return body.data;
  }

  async list() {
    const names: string[] = await this.get('/api/v1/label/__name__/values', {});
    return groupByComponent(names.filter((n) => componentOf(n)));
  }

  async data(metric: string, statistic: Statistic, start: Date, end: Date, periodSeconds: number) {
    if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(metric)) throw new UserError('BAD_REQUEST', `"${metric}" is not a Prometheus metric name`);
    const data = await this.get('/api/v1/query_range', {
      query: `${PROMETHEUS_AGGREGATION[statistic]}(${metric})`,
      start: String(start.getTime() / 1000),
      end: String(end.getTime() / 1000),
      step: String(periodSeconds),
    });
    const values: [number, string][] = data?.result?.[0]?.values ?? [];
    return values.map(([t, v]) => ({ timestamp: new Date(t * 1000).toISOString(), value: Number(v) }));
  }
}

export function metricsSourceFor(cfg: MetricsYaml, env: NodeJS.ProcessEnv = process.env): MetricsSource {
  if (cfg.prometheus) return new PrometheusSource(cfg.prometheus.endpoint);
  return new CloudWatchSource(cfg.cloudwatch ?? {}, env);
}
