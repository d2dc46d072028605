import { Fn, Stack } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
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

/** What a capture proxy needs of MSK: connect, and write (creating it if need be) the capture topic. */
export function captureProducerStatements(k: KafkaArns): PolicyStatement[] {
  return [
    // WriteDataIdempotently: the proxy's producer is idempotent (InitProducerId).
    new PolicyStatement({ actions: ['kafka-cluster:Connect', 'kafka-cluster:WriteDataIdempotently'], resources: [k.cluster] }),
    new PolicyStatement({ actions: ['kafka-cluster:CreateTopic', 'kafka-cluster:DescribeTopic', 'kafka-cluster:WriteData'], resources: [k.topic] }),
  ];
}
