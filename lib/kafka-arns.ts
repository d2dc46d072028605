import { Fn, Stack } from 'aws-cdk-lib';
import { KAFKA_TOPIC } from './config';

/** ARNs MSK IAM authorizes on: the cluster, the capture topic and the replayer's group. */
export interface KafkaArns {
  cluster: string;
  topic: string;
  /** Every topic of the cluster (the console lists topics). */
  allTopics: string;
  group: string;
}

/**
 * MSK cluster ARNs are arn:<p>:kafka:<region>:<account>:cluster/<name>/<uuid>; topic and group
 * ARNs reuse name and uuid: arn:...:topic/<name>/<uuid>/<topic>.
 */
export function kafkaArns(stack: Stack, clusterArn: string, groupId: string): KafkaArns {
  const parts = Fn.split('/', clusterArn);
  const base = (kind: string) => `arn:${stack.partition}:kafka:${stack.region}:${stack.account}:${kind}/${Fn.select(1, parts)}/${Fn.select(2, parts)}`;
  return { cluster: clusterArn, topic: `${base('topic')}/${KAFKA_TOPIC}`, allTopics: `${base('topic')}/*`, group: `${base('group')}/${groupId}` };
}
