import { emfLine, startEmfReporter } from '../../../runtime/src/core/emf';

describe('embedded metric format', () => {
  it('writes a line CloudWatch reads as metrics with the stage dimension', () => {
    const line = JSON.parse(emfLine('OpenSearchMigrations', 'dev', { captureRequests: 5, replayLatencyMs: 12 }, { replayLatencyMs: 'Milliseconds' }, 1700000000000));
    expect(line).toEqual({
      _aws: {
        Timestamp: 1700000000000,
        CloudWatchMetrics: [
          { Namespace: 'OpenSearchMigrations', Dimensions: [['stage']], Metrics: [{ Name: 'captureRequests', Unit: 'Count' }, { Name: 'replayLatencyMs', Unit: 'Milliseconds' }] },
        ],
      },
      stage: 'dev',
      captureRequests: 5,
      replayLatencyMs: 12,
    });
  });

  it('reports counters as increases and gauges as levels, only when METRICS_FORMAT=emf', () => {
    const lines: any[] = [];
    let totals = { docs: 100, remaining: 900 };
    const metrics = { docs: { kind: 'counter' as const }, remaining: { kind: 'gauge' as const } };
    expect(startEmfReporter({ metrics, read: () => totals, env: {} })).toBeUndefined();
    const r = startEmfReporter({ metrics, read: () => totals, env: { METRICS_FORMAT: 'emf', MIGRATION_STAGE: 'test' }, write: (l) => lines.push(JSON.parse(l)), now: () => 1 })!;
    r.report();
    totals = { docs: 250, remaining: 750 };
    r.stop();
    expect(lines.map((l) => [l.stage, l.docs, l.remaining])).toEqual([
      ['test', 100, 900],
      ['test', 150, 750],
    ]);
  });
});
