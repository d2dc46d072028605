import type { Verb } from '../verb';
import { clusterVerbs } from './clusters';
import { kafkaVerbs } from './kafka';
import { metadataVerbs } from './metadata';
import { metricsVerbs } from './metrics';
import { backfillVerbs, replayVerbs } from './services';
import { trafficVerbs } from './traffic';
import { tupleVerbs } from './tuples';

/** Every console verb, in the order --help lists the groups. */
export const CONSOLE_VERBS: Verb[] = [...clusterVerbs, ...backfillVerbs, ...metadataVerbs, ...replayVerbs, ...kafkaVerbs, ...trafficVerbs, ...metricsVerbs, ...tupleVerbs];

export const GROUP_DESCRIPTIONS: Record<string, string> = {
  clusters: 'the source and target clusters: check, list, query, clear, fill with test data',
  backfill: 'the document backfill workers (ECS service or local processes) and their progress',
  metadata: 'templates and indices (settings, mappings, aliases) from source to target',
  replay: 'the traffic replayers (ECS service or local processes)',
  kafka: 'the captured traffic in Kafka: topics and consumer groups',
  traffic: 'where the proxy fleet\'s load balancer sends clients: proxy, source or target (cutover and rollback)',
  metrics: 'the metrics the services publish (CloudWatch or Prometheus)',
  tuples: 'the replayer\'s source-vs-target results',
};
