import { parseServicesYaml } from '../../../runtime/src/core/services-yaml';
import { forwardWeights, listenerState, plannedWeights } from '../../../runtime/src/console/traffic-routing';

const tg = (name: string) => `arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/${name}/0123456789abcdef`;
const LISTENER = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/migration-dev-proxy/0123456789abcdef/fedcba9876543210';
const section = { listener_arn: LISTENER, target_groups: { proxy: tg('proxy'), source: tg('source'), target: tg('target') } };
const none = { healthy: 0, unhealthy: 0, other: 0 };
const health = { proxy: none, source: none, target: none };

describe('traffic route weights', () => {
  it('moves the given share to the source or target and keeps the rest on the proxies', () => {
    expect(plannedWeights('target')).toEqual({ proxy: 0, source: 0, target: 100 });
    expect(plannedWeights('target', 10)).toEqual({ proxy: 90, source: 0, target: 10 });
    expect(plannedWeights('source', 25)).toEqual({ proxy: 75, source: 25, target: 0 });
    expect(plannedWeights('proxy')).toEqual({ proxy: 100, source: 0, target: 0 });
    expect(plannedWeights('target', 0)).toEqual({ proxy: 100, source: 0, target: 0 });
  });

  it('refuses a weight that is not a percentage, or one given with --to proxy', () => {
    expect(() => plannedWeights('target', 101)).toThrow(/whole number from 0 to 100 \(got 101\)/);
    expect(() => plannedWeights('target', 2.5)).toThrow(/whole number/);
    expect(() => plannedWeights('proxy', 50)).toThrow(/--to proxy` sends everything to the proxies/);
  });
});

describe('reading the listener', () => {
  it('reads weighted, single and non-forward default actions', () => {
    expect(forwardWeights([{ Type: 'forward', ForwardConfig: { TargetGroups: [{ TargetGroupArn: tg('proxy'), Weight: 3 }, { TargetGroupArn: tg('target') }] } }]).weights).toEqual(
      new Map([[tg('proxy'), 3], [tg('target'), 1]]),
    );
    expect(forwardWeights([{ Type: 'forward', TargetGroupArn: tg('source') }]).weights).toEqual(new Map([[tg('source'), 1]]));
    expect(forwardWeights([{ Type: 'fixed-response' }])).toEqual({ type: 'fixed-response', weights: new Map() });
  });

  it('gives each route its share, and names target groups services.yaml does not know', () => {
    const s = listenerState(section, [{ Type: 'forward', ForwardConfig: { TargetGroups: [{ TargetGroupArn: tg('proxy'), Weight: 2 }, { TargetGroupArn: tg('target'), Weight: 1 }, { TargetGroupArn: tg('by-hand'), Weight: 1 }] } }], health);
    expect(s.routes.map((r) => [r.route, r.weight, r.percent])).toEqual([['proxy', 2, 50], ['source', 0, 0], ['target', 1, 25]]);
    expect(s.otherTargetGroups).toEqual([{ targetGroupArn: tg('by-hand'), weight: 1 }]);
    expect(listenerState(section, [{ Type: 'redirect' }], health).routes.every((r) => r.percent === 0)).toBe(true);
  });
});

describe('services.yaml load_balancer', () => {
  it('takes the listener and the three target groups, and names a wrong ARN', () => {
    const yaml = (listener: string) => `load_balancer:\n  listener_arn: ${listener}\n  target_groups:\n    proxy: ${tg('proxy')}\n    source: ${tg('source')}\n    target: ${tg('target')}\n`;
    expect(parseServicesYaml(yaml(LISTENER)).load_balancer).toEqual(section);
    expect(() => parseServicesYaml(yaml(tg('oops')))).toThrow(/load_balancer\.listener_arn: expected an Elastic Load Balancing listener ARN/);
    expect(() => parseServicesYaml(`load_balancer:\n  listener_arn: ${LISTENER}\n  target_groups:\n    proxy: ${tg('p')}\n`)).toThrow(/load_balancer\.target_groups\.source: required/);
  });
});
