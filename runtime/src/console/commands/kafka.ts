import { integerArg } from '../../core/cli/values';
import { UserError } from '../../core/errors';
import { table } from '../../core/table';
import type { ConsoleContext } from '../context';
import { describeTraffic, kafkaSection, PartitionLag, REPLAYER_GROUP, requireTopic, topicLag, TopicReport, TRAFFIC_TOPIC, withAdmin } from '../kafka-admin';
import { ACKNOWLEDGE_RISK, JsonSchema, Verb, VerbArgument, VerbOption } from '../verb';

const kafkaOf = async (ctx: ConsoleContext) => kafkaSection(await ctx.config(), ctx.env);

const name: JsonSchema = { type: 'string', minLength: 1, maxLength: 249 };
/** The reference's --topic-name, also as a positional argument. */
const topicArg: VerbArgument = { key: 'topic', name: '[topic]', description: `topic (default ${TRAFFIC_TOPIC})`, schema: name };
const topicNameOption: VerbOption = { key: 'topic', flags: '--topic-name <name>', description: `topic (default ${TRAFFIC_TOPIC})`, schema: name, cliOnly: true };
const groupArg: VerbArgument = { key: 'group', name: '[group]', description: `consumer group (default ${REPLAYER_GROUP})`, schema: name };
const groupNameOption: VerbOption = { key: 'group', flags: '--group-name <name>', description: `consumer group (default ${REPLAYER_GROUP})`, schema: name, cliOnly: true };

const partitionLagSchema: JsonSchema = {
  type: 'array',
  items: { type: 'object', properties: { partition: { type: 'integer' }, earliest: { type: 'integer' }, latest: { type: 'integer' }, committed: { type: ['integer', 'null'] }, lag: { type: 'integer' } } },
};

export const createTopic: Verb<{ topic?: string; partitions?: number; replicationFactor?: number }, { topic: string; created: boolean }> = {
  path: ['kafka', 'create-topic'],
  description: `create a topic (default ${TRAFFIC_TOPIC}); one that exists is left as it is`,
  kind: 'change',
  args: [topicArg],
  options: [
    topicNameOption,
    { key: 'partitions', flags: '--partitions <n>', description: 'partitions (default: the broker\'s num.partitions)', schema: { type: 'integer', minimum: 1, maximum: 10000 }, parse: integerArg(1, 10000) },
    { key: 'replicationFactor', flags: '--replication-factor <n>', description: 'replicas (default: the broker\'s default.replication.factor)', schema: { type: 'integer', minimum: 1, maximum: 10 }, parse: integerArg(1, 10) },
  ],
  output: { type: 'object', properties: { topic: { type: 'string' }, created: { type: 'boolean' } } },
  async run(ctx, input) {
    const topic = input.topic ?? TRAFFIC_TOPIC;
    return withAdmin(await kafkaOf(ctx), async (admin) => {
      const created = await admin.createTopics({ topics: [{ topic, numPartitions: input.partitions ?? -1, replicationFactor: input.replicationFactor ?? -1 }], waitForLeaders: true });
      return { topic, created };
    }, ctx.env);
  },
  text: (r) => (r.created ? `created topic ${r.topic}` : `topic ${r.topic} already exists: left as it is`),
};

export const listTopics: Verb<{ all?: boolean }, { topic: string; partitions: number }[]> = {
  path: ['kafka', 'list-topics'],
  description: 'the topics on the brokers, with their partition counts',
  kind: 'read',
  options: [{ key: 'all', flags: '--all', description: 'include Kafka\'s internal topics (__consumer_offsets...)', schema: { type: 'boolean' } }],
  output: { type: 'array', items: { type: 'object', properties: { topic: { type: 'string' }, partitions: { type: 'integer' } } } },
  async run(ctx, input) {
    return withAdmin(await kafkaOf(ctx), async (admin) => {
      const names = (await admin.listTopics()).filter((t) => input.all || !t.startsWith('__')).sort();
      if (names.length === 0) return [];
      const meta = await admin.fetchTopicMetadata({ topics: names });
      return meta.topics.map((t) => ({ topic: t.name, partitions: t.partitions.length })).sort((a, b) => a.topic.localeCompare(b.topic));
    }, ctx.env);
  },
  text: (topics) => (topics.length ? table(['topic', 'partitions'], topics.map((t) => [t.topic, String(t.partitions)])).trimEnd() : '(no topics)'),
};

export const deleteTopic: Verb<{ topic?: string; acknowledgeRisk?: boolean }, { topic: string; deleted: boolean }> = {
  path: ['kafka', 'delete-topic'],
  description: `[deletes data] delete a topic (default ${TRAFFIC_TOPIC}) and every captured record in it`,
  kind: 'change',
  destructive: true,
  args: [topicArg],
  options: [topicNameOption, ACKNOWLEDGE_RISK],
  output: { type: 'object', properties: { topic: { type: 'string' }, deleted: { type: 'boolean' } } },
  async run(ctx, input) {
    const topic = input.topic ?? TRAFFIC_TOPIC;
    return withAdmin(await kafkaOf(ctx), async (admin) => {
      await requireTopic(admin, topic);
      await admin.deleteTopics({ topics: [topic], timeout: 30_000 });
      return { topic, deleted: true };
    }, ctx.env);
  },
  text: (r) => `deleted topic ${r.topic}`,
};

export interface ConsumerGroupReport {
  group: string;
  state: string;
  protocol: string;
  members: { memberId: string; clientId: string; host: string }[];
  lag: number;
  partitions: (PartitionLag & { topic: string })[];
}

export const describeConsumerGroup: Verb<{ group?: string }, ConsumerGroupReport> = {
  path: ['kafka', 'describe-consumer-group'],
  description: `a consumer group (default ${REPLAYER_GROUP}): state, members, and per partition its committed offset and lag`,
  kind: 'read',
  args: [groupArg],
  options: [groupNameOption],
  output: {
    type: 'object',
    properties: {
      group: { type: 'string' },
      state: { type: 'string' },
      protocol: { type: 'string' },
      lag: { type: 'integer' },
      members: { type: 'array', items: { type: 'object', properties: { memberId: { type: 'string' }, clientId: { type: 'string' }, host: { type: 'string' } } } },
      partitions: { type: 'array', items: { ...(partitionLagSchema.items as object), properties: { topic: { type: 'string' }, ...((partitionLagSchema.items as any).properties as object) } } },
    },
  },
  async run(ctx, input) {
    const group = input.group ?? REPLAYER_GROUP;
    return withAdmin(await kafkaOf(ctx), async (admin) => {
      const described = (await admin.describeGroups([group])).groups[0];
      const committed = await admin.fetchOffsets({ groupId: group });
      if ((!described || described.state === 'Dead') && committed.length === 0) {
        throw new UserError('CONSUMER_GROUP_MISSING', `consumer group ${group} does not exist (no members, no committed offsets): has a replayer run with --kafka-traffic-group-id ${group}?`);
      }
      const partitions: (PartitionLag & { topic: string })[] = [];
      for (const t of committed.map((c) => c.topic).sort()) for (const p of await topicLag(admin, t, group)) partitions.push({ topic: t, ...p });
      return {
        group,
        state: described?.state ?? 'Unknown',
        protocol: described?.protocol ?? '',
        members: (described?.members ?? []).map((m) => ({ memberId: m.memberId, clientId: m.clientId, host: m.clientHost })),
        lag: partitions.reduce((n, p) => n + p.lag, 0),
        partitions,
      };
    }, ctx.env);
  },
  text: (r) =>
    [
      `group ${r.group}: ${r.state}, ${r.members.length} member${r.members.length === 1 ? '' : 's'}, lag ${r.lag}`,
      ...r.members.map((m) => `  member ${m.clientId} on ${m.host} (${m.memberId})`),
      r.partitions.length
        ? table(['topic', 'partition', 'current offset', 'log end offset', 'lag'], r.partitions.map((p) => [p.topic, String(p.partition), p.committed === null ? '-' : String(p.committed), String(p.latest), String(p.lag)])).trimEnd()
        : '(no committed offsets)',
    ].join('\n'),
};

export const describeTopicRecords: Verb<{ topic?: string }, { topic: string; records: number; partitions: { partition: number; earliest: number; latest: number; records: number }[] }> = {
  path: ['kafka', 'describe-topic-records'],
  description: `records per partition of a topic (default ${TRAFFIC_TOPIC})`,
  kind: 'read',
  args: [topicArg],
  options: [topicNameOption],
  output: {
    type: 'object',
    properties: {
      topic: { type: 'string' },
      records: { type: 'integer' },
      partitions: { type: 'array', items: { type: 'object', properties: { partition: { type: 'integer' }, earliest: { type: 'integer' }, latest: { type: 'integer' }, records: { type: 'integer' } } } },
    },
  },
  async run(ctx, input) {
    const topic = input.topic ?? TRAFFIC_TOPIC;
    return withAdmin(await kafkaOf(ctx), async (admin) => {
      await requireTopic(admin, topic);
      const partitions = (await admin.fetchTopicOffsets(topic))
        .map((o) => ({ partition: o.partition, earliest: Number(o.low), latest: Number(o.high), records: Number(o.high) - Number(o.low) }))
        .sort((a, b) => a.partition - b.partition);
      return { topic, records: partitions.reduce((n, p) => n + p.records, 0), partitions };
    }, ctx.env);
  },
  text: (r) => table(['topic', 'partition', 'records'], r.partitions.map((p) => [r.topic, String(p.partition), String(p.records)])).trimEnd(),
};

export const describeTopic: Verb<{ topic?: string; group?: string }, TopicReport> = {
  path: ['kafka', 'describe-topic'],
  description: 'records in the capture topic and the replayer group\'s lag per partition',
  kind: 'read',
  options: [
    { key: 'topic', flags: '--topic <name>', description: 'topic', schema: name, default: TRAFFIC_TOPIC },
    { key: 'group', flags: '--group <id>', description: 'consumer group', schema: name, default: REPLAYER_GROUP },
  ],
  output: { type: 'object', properties: { topic: { type: 'string' }, group: { type: 'string' }, records: { type: 'integer' }, lag: { type: 'integer' }, partitions: partitionLagSchema } },
  run: async (ctx, input) => describeTraffic(await kafkaOf(ctx), input.topic, input.group),
  text: (r) =>
    [`${r.topic}: ${r.records} records, group ${r.group} is ${r.lag} behind`, ...r.partitions.map((p) => `  partition ${p.partition}: ${p.earliest}..${p.latest}, committed ${p.committed ?? 'none'}, lag ${p.lag}`)].join('\n'),
};

export const kafkaVerbs = [createTopic, listTopics, deleteTopic, describeConsumerGroup, describeTopicRecords, describeTopic];
