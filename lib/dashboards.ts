import { Duration } from 'aws-cdk-lib';
import { Dashboard, GraphWidget, Metric, TextWidget } from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import { METRICS_NAMESPACE } from './config';

/**
 * Metric names the services publish (embedded metric format on stdout, which CloudWatch Logs turns
 * into metrics) in namespace OpenSearchMigrations with dimension `stage`.
 */
export const METRICS = {
  capture: ['captureConnectionsOpened', 'captureRequests', 'captureBytesRead', 'captureKafkaRecordsSent', 'captureKafkaSendErrors'],
  replay: ['replayRequests', 'replayErrors', 'replayStatusMismatches', 'replayPending', 'replayLatencyMs'],
  backfill: ['backfillDocumentsMigrated', 'backfillDocumentsFailed', 'backfillDocumentsRemaining'],
} as const;

export interface MigrationDashboardsProps {
  stage: string;
}

function metric(stage: string, name: string): Metric {
  const statistic = /Ms$/.test(name) ? 'p90' : /Remaining$/.test(name) ? 'Maximum' : 'Sum';
  return new Metric({ namespace: METRICS_NAMESPACE, metricName: name, dimensionsMap: { stage }, statistic, period: Duration.minutes(1) });
}

/** One dashboard for capture and replay, one for the backfill. */
export class MigrationDashboards extends Construct {
  readonly captureReplay: Dashboard;
  readonly backfill: Dashboard;

  constructor(scope: Construct, id: string, props: MigrationDashboardsProps) {
    super(scope, id);
    const s = props.stage;
    const graphs = (names: readonly string[]) => names.map((n) => new GraphWidget({ title: n, left: [metric(s, n)], width: 8, height: 6 }));
    this.captureReplay = new Dashboard(this, 'CaptureReplay', { dashboardName: `migration-${s}-capture-replay` });
    this.captureReplay.addWidgets(new TextWidget({ markdown: `# Capture and replay (stage ${s})`, width: 24, height: 1 }));
    this.captureReplay.addWidgets(...graphs(METRICS.capture));
    this.captureReplay.addWidgets(...graphs(METRICS.replay));
    this.backfill = new Dashboard(this, 'Backfill', { dashboardName: `migration-${s}-backfill` });
    this.backfill.addWidgets(new TextWidget({ markdown: `# Backfill (stage ${s})`, width: 24, height: 1 }));
    this.backfill.addWidgets(...graphs(METRICS.backfill));
  }
}
