import { integerArg } from '../../core/cli/values';
import { UserError } from '../../core/errors';
import { table } from '../../core/table';
import { ConsoleContext, requireSection } from '../context';
import { describeTraffic, kafkaSection, REPLAYER_GROUP, TRAFFIC_TOPIC } from '../kafka-admin';
import { ListenerControl, ListenerState, plannedWeights, Route, ROUTES, Weights } from '../traffic-routing';
import { JsonSchema, Verb, VerbOption } from '../verb';

/** The replayer may be this many records behind when clients move to the target, by default. */
export const DEFAULT_MAX_LAG = 100;

const weightsSchema: JsonSchema = { type: 'object', properties: Object.fromEntries(ROUTES.map((r) => [r, { type: 'integer' }])) };
const listenerSchema: JsonSchema = {
  type: 'object',
  properties: {
    listenerArn: { type: 'string' },
    endpoint: { type: 'string' },
    defaultActionType: { type: 'string' },
    routes: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          route: { type: 'string' },
          targetGroupArn: { type: 'string' },
          weight: { type: 'integer' },
          percent: { type: 'number' },
          targets: { type: 'object', properties: { healthy: { type: 'integer' }, unhealthy: { type: 'integer' }, other: { type: 'integer' } } },
        },
      },
    },
    otherTargetGroups: { type: 'array', items: { type: 'object', properties: { targetGroupArn: { type: 'string' }, weight: { type: 'integer' } } } },
  },
};
const lagSchema: JsonSchema = { type: ['object', 'null'], properties: { group: { type: 'string' }, records: { type: ['integer', 'null'] }, error: { type: 'string' } } };

const WHERE: Record<Route, string> = { proxy: 'capture proxies, then the source', source: 'the source, not captured', target: 'the target' };

function formatListener(s: ListenerState): string {
  const rows = s.routes.map((r) => [r.route, WHERE[r.route], String(r.weight), `${r.percent}%`, `${r.targets.healthy} healthy, ${r.targets.unhealthy} unhealthy${r.targets.other ? `, ${r.targets.other} other` : ''}`]);
  const lines = [`listener ${s.listenerArn}${s.endpoint ? ` (clients: ${s.endpoint})` : ''}`, table(['route', 'sends to', 'weight', 'share', 'targets'], rows).trimEnd()];
  if (s.defaultActionType !== 'forward') lines.push(`warning: the default action is "${s.defaultActionType}", not a forward: no request reaches these routes (traffic route --to proxy restores it)`);
  for (const o of s.otherTargetGroups) lines.push(`warning: the listener also forwards to ${o.targetGroupArn} (weight ${o.weight}), which services.yaml does not name; traffic route replaces it`);
  return lines.join('\n');
}

const listenerOf = async (ctx: ConsoleContext) => new ListenerControl(requireSection(await ctx.config(), 'load_balancer'));

async function withListener<T>(ctx: ConsoleContext, fn: (l: ListenerControl) => Promise<T>): Promise<T> {
  const listener = await listenerOf(ctx);
  try {
    return await fn(listener);
  } finally {
    listener.close();
  }
}

/** Records the replayer's group has not replayed yet; a failure to find out is an error value, not a number. */
async function replayLag(ctx: ConsoleContext, topic: string, group: string): Promise<{ group: string; records: number | null; error?: string }> {
  try {
    return { group, records: (await describeTraffic(kafkaSection(await ctx.config(), ctx.env), topic, group)).lag };
  } catch (err) {
    return { group, records: null, error: err instanceof Error ? err.message : String(err) };
  }
}

const topicOption: VerbOption = { key: 'topic', flags: '--topic <name>', description: 'the capture topic', schema: { type: 'string', minLength: 1, maxLength: 249 }, default: TRAFFIC_TOPIC };
const groupOption: VerbOption = { key: 'group', flags: '--group <id>', description: 'the replayer\'s consumer group, whose lag guards the move to the target', schema: { type: 'string', minLength: 1, maxLength: 249 }, default: REPLAYER_GROUP };

export interface TrafficStatus extends ListenerState {
  replayLag: { group: string; records: number | null; error?: string } | null;
}

export const trafficStatus: Verb<{ topic?: string; group?: string }, TrafficStatus> = {
  path: ['traffic', 'status'],
  description: 'where the load balancer sends clients: the weights of proxy, source and target, their healthy targets, and the replayer\'s lag',
  kind: 'read',
  options: [topicOption, groupOption],
  output: { ...listenerSchema, properties: { ...(listenerSchema.properties as object), replayLag: lagSchema } },
  async run(ctx, input) {
    const state = await withListener(ctx, (l) => l.read());
    const config = await ctx.config();
    const kafkaKnown = Boolean(config.kafka || ctx.env.MIGRATION_KAFKA_BROKER_ENDPOINTS);
    return { ...state, replayLag: kafkaKnown ? await replayLag(ctx, input.topic ?? TRAFFIC_TOPIC, input.group ?? REPLAYER_GROUP) : null };
  },
  text: (s) => {
    const lag = s.replayLag;
    const lagLine = !lag ? 'replayer lag: unknown (services.yaml has no kafka section)' : lag.records === null ? `replayer lag (group ${lag.group}): unknown: ${lag.error}` : `replayer lag (group ${lag.group}): ${lag.records} records`;
    return `${formatListener(s)}\n${lagLine}`;
  },
};

export interface TrafficRouteInput {
  to: Route;
  weight?: number;
  acknowledgeRisk?: boolean;
  maxLag?: number;
  ignoreLag?: boolean;
  topic?: string;
  group?: string;
}

export interface TrafficRouteResult extends ListenerState {
  previous: Weights;
  /** The replayer's lag when it was checked (a move to the target without --ignore-lag). */
  replayLag: number | null;
}

/** Why a weight to the source or the target is a risk the caller must acknowledge (none for the proxies). */
function riskOf(w: Weights): string | undefined {
  if (w.target > 0) {
    return `sends ${w.target}% of requests to the target: what clients write there is not on the source, and a rollback (traffic route --to proxy) does not bring it back`;
  }
  if (w.source > 0) return `sends ${w.source}% of requests to the source around the capture proxies: their writes are never captured, so the target will miss them`;
  return undefined;
}

const ACKNOWLEDGE_ROUTE: VerbOption = {
  key: 'acknowledgeRisk',
  flags: '--acknowledge-risk',
  description: 'confirm a move of clients off the capture proxies (to the target, or to the source uncaptured)',
  schema: { type: 'boolean' },
};

export const trafficRoute: Verb<TrafficRouteInput, TrafficRouteResult> = {
  path: ['traffic', 'route'],
  description: 'send clients to the proxies (the rollback), the target (the cutover, --acknowledge-risk) or the source; --weight moves only that share, the rest stays on the proxies',
  kind: 'change',
  options: [
    { key: 'to', flags: '--to <route>', description: 'proxy | source | target', schema: { type: 'string' }, choices: ROUTES, required: true },
    { key: 'weight', flags: '--weight <percent>', description: 'the share of requests for --to source|target (default 100); the rest goes to the proxies', schema: { type: 'integer', minimum: 0, maximum: 100 }, parse: integerArg(0, 100) },
    ACKNOWLEDGE_ROUTE,
    { key: 'maxLag', flags: '--max-lag <records>', description: 'refuse a move to the target while the replayer is more than this many records behind', schema: { type: 'integer', minimum: 0 }, parse: integerArg(0), default: DEFAULT_MAX_LAG },
    { key: 'ignoreLag', flags: '--ignore-lag', description: 'move to the target whatever the replayer\'s lag (or when it cannot be read)', schema: { type: 'boolean' } },
    topicOption,
    groupOption,
  ],
  output: { ...listenerSchema, properties: { ...(listenerSchema.properties as object), previous: weightsSchema, replayLag: { type: ['integer', 'null'] } } },
  async run(ctx, input) {
    requireSection(await ctx.config(), 'load_balancer');
    const weights = plannedWeights(input.to, input.weight ?? 100);
    const risk = riskOf(weights);
    if (risk && input.acknowledgeRisk !== true) {
      throw new UserError('RISK_NOT_ACKNOWLEDGED', `traffic route --to ${input.to} ${risk}: pass --acknowledge-risk (in the API: {"acknowledgeRisk": true}) if you mean it`);
    }
    let lag: number | null = null;
    if (weights.target > 0 && !input.ignoreLag) {
      const maxLag = input.maxLag ?? DEFAULT_MAX_LAG;
      const checked = await replayLag(ctx, input.topic ?? TRAFFIC_TOPIC, input.group ?? REPLAYER_GROUP);
      if (checked.records === null) {
        throw new UserError('REPLAY_LAG_UNKNOWN', `the replayer's lag (group ${checked.group}) cannot be read, so the target may not have caught up: ${checked.error}; fix that, or pass --ignore-lag`);
      }
      if (checked.records > maxLag) {
        throw new UserError('REPLAY_LAG_TOO_HIGH', `the replayer (group ${checked.group}) is ${checked.records} records behind, more than --max-lag ${maxLag}: wait until it catches up (traffic status, kafka describe-topic), or pass --ignore-lag`);
      }
      lag = checked.records;
    }
    return withListener(ctx, async (l) => {
      const before = await l.read();
      const previous = Object.fromEntries(before.routes.map((r) => [r.route, r.weight])) as Weights;
      return { ...(await l.setWeights(weights)), previous, replayLag: lag };
    });
  },
  text: (r) => {
    const was = ROUTES.map((x) => `${x} ${r.previous[x]}`).join(', ');
    return `${formatListener(r)}\nweights were: ${was}${r.replayLag !== null ? `; replayer lag was ${r.replayLag} records` : ''}\nrollback: migration-console traffic route --to proxy`;
  },
};

export const trafficVerbs = [trafficRoute, trafficStatus];
