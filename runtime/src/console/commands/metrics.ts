import { integerArg, ValueError } from '../../core/cli/values';
import { UserError } from '../../core/errors';
import { table } from '../../core/table';
import { requireSection } from '../context';
import { Component, COMPONENTS, componentOf, MetricPoint, metricsSourceFor, Statistic, STATISTICS } from '../metrics-source';
import { Verb } from '../verb';

export const listMetrics: Verb<Record<string, never>, Record<string, string[]>> = {
  path: ['metrics', 'list'],
  description: 'the metrics the services publish, by component (CloudWatch or Prometheus, as services.yaml says)',
  kind: 'read',
  output: { type: 'object', additionalProperties: { type: 'array', items: { type: 'string' } } },
  async run(ctx) {
    return metricsSourceFor(requireSection(await ctx.config(), 'metrics_source'), ctx.env).list();
  },
  text: (byComponent) =>
    Object.keys(byComponent).length === 0 ? '(no metrics published yet)' : Object.entries(byComponent).map(([c, names]) => `${c}\n${names.map((n) => `  ${n}`).join('\n')}`).join('\n'),
};

interface GetDataInput {
  component: Component;
  metric: string;
  statistic?: Statistic;
  lookback?: number;
}

interface MetricData {
  component: Component;
  metric: string;
  statistic: Statistic;
  lookbackMinutes: number;
  source: string;
  points: MetricPoint[];
}

export const getMetricData: Verb<GetDataInput, MetricData> = {
  path: ['metrics', 'get-data'],
  description: 'one metric over the last minutes, one point a minute',
  kind: 'read',
  args: [
    { key: 'component', name: '<component>', description: COMPONENTS.join(' | '), schema: { type: 'string', enum: [...COMPONENTS] }, parse: parseComponent },
    { key: 'metric', name: '<metric>', description: 'metric name, as `metrics list` shows it', schema: { type: 'string', minLength: 1, maxLength: 255 } },
  ],
  options: [
    { key: 'statistic', flags: '--statistic <statistic>', description: 'how the points of a minute are combined', schema: { type: 'string' }, choices: STATISTICS, default: 'Average' },
    { key: 'lookback', flags: '--lookback <minutes>', description: 'minutes back from now', schema: { type: 'integer', minimum: 1, maximum: 60 * 24 * 15 }, parse: integerArg(1, 60 * 24 * 15), default: 60 },
  ],
  output: {
    type: 'object',
    properties: {
      component: { type: 'string' },
      metric: { type: 'string' },
      statistic: { type: 'string' },
      lookbackMinutes: { type: 'integer' },
      source: { type: 'string' },
      points: { type: 'array', items: { type: 'object', properties: { timestamp: { type: 'string' }, value: { type: 'number' } } } },
    },
  },
  async run(ctx, input) {
    const owner = componentOf(input.metric);
    if (owner && owner !== input.component) throw new UserError('BAD_REQUEST', `${input.metric} is a ${owner} metric, not a ${input.component} one: \`metrics list\` shows which is which`);
    const source = metricsSourceFor(requireSection(await ctx.config(), 'metrics_source'), ctx.env);
    const statistic = input.statistic ?? 'Average';
    const lookback = input.lookback ?? 60;
    const end = new Date();
    const points = await source.data(input.metric, statistic, new Date(end.getTime() - lookback * 60_000), end, 60);
    return { component: input.component, metric: input.metric, statistic, lookbackMinutes: lookback, source: source.kind, points };
  },
  text: (r) =>
    [
      `${r.component} ${r.metric}, ${r.statistic} per minute over the last ${r.lookbackMinutes} minutes (${r.source})`,
      r.points.length ? table(['time', 'value'], r.points.map((p) => [p.timestamp, String(p.value)])).trimEnd() : '(no data points)',
    ].join('\n'),
};

function parseComponent(value: string): Component {
  const c = COMPONENTS.find((x) => x.toLowerCase() === value.toLowerCase());
  if (!c) throw new ValueError(`one of ${COMPONENTS.join(', ')}`);
  return c;
}

export const metricsVerbs = [listMetrics, getMetricData];
