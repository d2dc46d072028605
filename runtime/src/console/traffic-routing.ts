import {
  DescribeListenersCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  ModifyListenerCommand,
  type Action,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { ConfigError, UserError } from '../core/errors';
import type { ServicesYaml } from '../core/services-yaml';

/*
 * The proxy fleet's load balancer listener: its default action forwards to three target groups
 * with weights (proxy: captured, then to the source; source: around the capture; target: the
 * cutover). Reading and setting those weights is all the console does to it.
 */

export type Route = 'proxy' | 'source' | 'target';
export const ROUTES: readonly Route[] = ['proxy', 'source', 'target'];
export type Weights = Record<Route, number>;

export type LoadBalancerYaml = NonNullable<ServicesYaml['load_balancer']>;

/**
 * The weights `traffic route --to <route> --weight <percent>` sets: the percent to that route, the
 * rest to the proxies, nothing elsewhere. `--to proxy` (everything to the proxies) is the rollback.
 */
export function plannedWeights(to: Route, percent = 100): Weights {
  if (!Number.isInteger(percent) || percent < 0 || percent > 100) throw new ConfigError(`--weight is a percentage, a whole number from 0 to 100 (got ${percent})`);
  if (to === 'proxy' && percent !== 100) {
    throw new ConfigError('--weight is the share sent to the source or the target, the rest staying on the proxies: `traffic route --to proxy` sends everything to the proxies');
  }
  return { proxy: to === 'proxy' ? 100 : 100 - percent, source: to === 'source' ? percent : 0, target: to === 'target' ? percent : 0 };
}

export interface TargetHealthCounts {
  healthy: number;
  unhealthy: number;
  /** initial, draining, unused, unavailable */
  other: number;
}

export interface RouteState {
  route: Route;
  targetGroupArn: string;
  weight: number;
  /** The share of requests it gets (weights need not add up to 100). */
  percent: number;
  targets: TargetHealthCounts;
}

export interface ListenerState {
  listenerArn: string;
  endpoint?: string;
  routes: RouteState[];
  /** Target groups in the listener's forward action that services.yaml does not name (a change made by hand). */
  otherTargetGroups: { targetGroupArn: string; weight: number }[];
  /** When the default action is not a forward (a fixed response, a redirect): its type; nothing is routed to the three groups. */
  defaultActionType: string;
}

/** The weight of each target group in a listener's default forward action. */
export function forwardWeights(actions: Action[] | undefined): { type: string; weights: Map<string, number> } {
  const forward = actions?.find((a) => a.Type === 'forward');
  if (!forward) return { type: actions?.[0]?.Type ?? 'none', weights: new Map() };
  const groups = forward.ForwardConfig?.TargetGroups;
  if (groups?.length) return { type: 'forward', weights: new Map(groups.map((g) => [g.TargetGroupArn!, g.Weight ?? 1])) };
  return { type: 'forward', weights: new Map(forward.TargetGroupArn ? [[forward.TargetGroupArn, 1]] : []) };
}

/** The listener's state as services.yaml names its target groups. */
export function listenerState(section: LoadBalancerYaml, actions: Action[] | undefined, health: Record<Route, TargetHealthCounts>): ListenerState {
  const { type, weights } = forwardWeights(actions);
  const total = [...weights.values()].reduce((a, b) => a + b, 0);
  const arns = section.target_groups;
  const routes = ROUTES.map((route) => {
    const weight = weights.get(arns[route]) ?? 0;
    return { route, targetGroupArn: arns[route], weight, percent: total > 0 ? Math.round((weight / total) * 1000) / 10 : 0, targets: health[route] };
  });
  const named = new Set(ROUTES.map((r) => arns[r]));
  const otherTargetGroups = [...weights.entries()].filter(([arn]) => !named.has(arn)).map(([targetGroupArn, weight]) => ({ targetGroupArn, weight }));
  return { listenerArn: section.listener_arn, endpoint: section.endpoint, routes, otherTargetGroups, defaultActionType: type };
}

/** Reads and sets the weights of the listener services.yaml's load_balancer section names. */
export class ListenerControl {
  private readonly elb: ElasticLoadBalancingV2Client;

  constructor(private readonly section: LoadBalancerYaml) {
    // The listener's own region (its ARN names it) unless services.yaml says otherwise.
    const region = section.aws_region ?? section.listener_arn.split(':')[3] ?? process.env.AWS_REGION;
    this.elb = new ElasticLoadBalancingV2Client({ region });
  }

  async read(): Promise<ListenerState> {
    const out = await this.call('DescribeListeners', () => this.elb.send(new DescribeListenersCommand({ ListenerArns: [this.section.listener_arn] })));
    const listener = out.Listeners?.[0];
    if (!listener) throw this.missing();
    const health = {} as Record<Route, TargetHealthCounts>;
    for (const route of ROUTES) health[route] = await this.health(this.section.target_groups[route]);
    return listenerState(this.section, listener.DefaultActions, health);
  }

  /** Replaces the listener's default action by a forward to the three groups with these weights. */
  async setWeights(w: Weights): Promise<ListenerState> {
    const TargetGroups = ROUTES.map((r) => ({ TargetGroupArn: this.section.target_groups[r], Weight: w[r] }));
    const DefaultActions: Action[] = [{ Type: 'forward', ForwardConfig: { TargetGroups, TargetGroupStickinessConfig: { Enabled: false } } }];
    await this.call('ModifyListener', () => this.elb.send(new ModifyListenerCommand({ ListenerArn: this.section.listener_arn, DefaultActions })));
    return this.read();
  }

  close(): void {
    this.elb.destroy();
  }

  private async health(targetGroupArn: string): Promise<TargetHealthCounts> {
    const out = await this.call('DescribeTargetHealth', () => this.elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: targetGroupArn })));
    const counts = { healthy: 0, unhealthy: 0, other: 0 };
    for (const d of out.TargetHealthDescriptions ?? []) {
      const state = d.TargetHealth?.State;
      if (state === 'healthy') counts.healthy++;
      else if (state === 'unhealthy') counts.unhealthy++;
      else counts.other++;
    }
    return counts;
  }

  private missing(): UserError {
    return new UserError('LISTENER_MISSING', `listener ${this.section.listener_arn} does not exist: check load_balancer.listener_arn in services.yaml, or deploy the proxy fleet (OSMigrations-<stage>-<region>-CaptureProxyFleet)`);
  }

  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      const { name, message } = err as Error;
      if (name === 'ListenerNotFoundException') throw this.missing();
      if (name === 'TargetGroupNotFoundException') {
        throw new UserError('TARGET_GROUP_MISSING', `a target group of load_balancer.target_groups does not exist (${message}): check services.yaml against the proxy fleet stack's outputs`);
      }
      throw new UserError('AWS_CALL_FAILED', `Elastic Load Balancing ${what} on ${this.section.listener_arn}: ${name}: ${message}`);
    }
  }
}
