import { collectionOfEndpoint, domainOfEndpoint } from '../lib/cluster-endpoint';
import { LOG_RETENTION_DAYS_ALLOWED } from '../lib/log-retention';
import { applyReferenceContext, isCdkOwnKey, REFERENCE_CONTEXT } from './reference-context';
import {
  BackfillConfig,
  CaptureProxyConfig,
  CaptureProxyServiceConfig,
  ClusterAuth,
  ClusterConfig,
  ConsoleConfig,
  KafkaConfig,
  LogEncryption,
  MigrationConfig,
  NetworkConfig,
  Removal,
  RemovalPolicies,
  ReplayerConfig,
} from '../lib/config';

/*
 * The one place that reads CDK context (cdk.json or `-c key=value`). Every problem is collected
 * and reported at once, each naming its context key and the fix, before any stack is built.
 */

export class ContextError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid CDK context (cdk.json "context" or -c key=value), ${problems.length} problem${problems.length > 1 ? 's' : ''}:\n  ${problems.join('\n  ')}`);
    this.name = 'ContextError';
  }
}

/** Reads a context key: the CDK's `app.node.tryGetContext`. */
export type ContextReader = (key: string) => unknown;

const FARGATE_CPU = [256, 512, 1024, 2048, 4096, 8192, 16384];

class Reader {
  readonly problems: string[] = [];

  fail(key: string, message: string): undefined {
    this.problems.push(`${key}: ${message}`);
    return undefined;
  }

  /** `-c key={"a":1}` arrives as a string: objects, numbers and booleans may be given as JSON. */
  private decode(value: unknown): unknown {
    if (typeof value !== 'string') return value;
    const t = value.trim();
    if (/^[{[]/.test(t) || /^-?\d+(\.\d+)?$/.test(t) || t === 'true' || t === 'false') {
      try {
        return JSON.parse(t);
      } catch {
        return value;
      }
    }
    return value;
  }

  object(key: string, value: unknown, required: boolean): Record<string, unknown> | undefined {
    const v = this.decode(value);
    if (v === undefined || v === null) return required ? this.fail(key, 'required (an object)') : undefined;
    if (typeof v !== 'object' || Array.isArray(v)) return this.fail(key, `expected an object (got ${JSON.stringify(v)})`);
    return v as Record<string, unknown>;
  }

  unknownKeys(key: string, obj: Record<string, unknown> | undefined, known: string[]): void {
    for (const k of Object.keys(obj ?? {})) {
      if (!known.includes(k)) this.fail(`${key}.${k}`, `unknown key (known keys: ${known.join(', ')})`);
    }
  }

  string(key: string, value: unknown, opts: { required?: boolean; pattern?: RegExp; hint?: string } = {}): string | undefined {
    if (value === undefined || value === null || value === '') return opts.required ? this.fail(key, `required${opts.hint ? ` (${opts.hint})` : ''}`) : undefined;
    if (typeof value !== 'string') return this.fail(key, `expected a string (got ${JSON.stringify(value)})`);
    if (opts.pattern && !opts.pattern.test(value)) return this.fail(key, `expected ${opts.hint ?? opts.pattern.source} (got "${value}")`);
    return value;
  }

  number(key: string, value: unknown, def: number, opts: { min?: number; max?: number; integer?: boolean; oneOf?: number[] } = {}): number {
    const v = this.decode(value);
    if (v === undefined || v === null || v === '') return def;
    if (typeof v !== 'number' || Number.isNaN(v)) return this.fail(key, `expected a number (got ${JSON.stringify(v)})`) ?? def;
    if (opts.integer && !Number.isInteger(v)) return this.fail(key, `expected a whole number (got ${v})`) ?? def;
    if (opts.min !== undefined && v < opts.min) return this.fail(key, `must be at least ${opts.min} (got ${v})`) ?? def;
    if (opts.max !== undefined && v > opts.max) return this.fail(key, `must be at most ${opts.max} (got ${v})`) ?? def;
    if (opts.oneOf && !opts.oneOf.includes(v)) return this.fail(key, `must be one of ${opts.oneOf.join(', ')} (got ${v})`) ?? def;
    return v;
  }

  boolean(key: string, value: unknown, def: boolean): boolean {
    const v = this.decode(value);
    if (v === undefined || v === null || v === '') return def;
    if (typeof v !== 'boolean') return this.fail(key, `expected true or false (got ${JSON.stringify(v)})`) ?? def;
    return v;
  }

  stringList(key: string, value: unknown): string[] | undefined {
    const v = this.decode(value);
    if (v === undefined || v === null) return undefined;
    const list = typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter(Boolean) : v;
    if (!Array.isArray(list) || list.some((s) => typeof s !== 'string' || s === '')) return this.fail(key, `expected a list of strings or a comma-separated string (got ${JSON.stringify(v)})`);
    return list as string[];
  }

  /** Extra command-line arguments: a string split on whitespace (quotes group words) or a list. */
  args(key: string, value: unknown): string[] {
    if (value === undefined || value === null || value === '') return [];
    if (Array.isArray(value) && value.every((s) => typeof s === 'string')) return value as string[];
    if (typeof value !== 'string') return this.fail(key, `expected a string of arguments or a list (got ${JSON.stringify(value)})`) ?? [];
    const out: string[] = [];
    const re = /"([^"]*)"|'([^']*)'|(\S+)/g;
    for (let m = re.exec(value); m; m = re.exec(value)) out.push(m[1] ?? m[2] ?? m[3]);
    return out;
  }

  removal(key: string, value: unknown): Removal {
    if (value === undefined || value === null || value === '') return 'destroy';
    if (value !== 'destroy' && value !== 'retain') return this.fail(key, `expected "destroy" or "retain" (got ${JSON.stringify(value)})`) ?? 'destroy';
    return value;
  }
}

const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+$/;

/**
 * The domain (es) or collection (aoss) SigV4 permissions are scoped to: the one the endpoint names,
 * or the one given; "*" (every one in the region) only when the context says so.
 */
function sigv4Resource(r: Reader, key: string, given: unknown, endpoint: string, service: 'es' | 'aoss'): string {
  const [name, fromEndpoint, pattern, form] =
    service === 'aoss'
      ? ['collectionId', endpoint && collectionOfEndpoint(endpoint), /^(\*|[a-z0-9]{3,40})$/, '<collection id>.<region>.aoss.amazonaws.com']
      : ['domainName', endpoint && domainOfEndpoint(endpoint), /^(\*|[a-z][a-z0-9-]{2,27})$/, 'vpc-<domain>-<id>.<region>.es.amazonaws.com'];
  const explicit = r.string(`${key}.${name}`, given, { pattern, hint: service === 'aoss' ? 'a collection id, or "*" for every collection' : 'a domain name (3-28 lowercase letters, digits, -), or "*" for every domain' });
  if (explicit && fromEndpoint && explicit !== '*' && explicit !== fromEndpoint) r.fail(`${key}.${name}`, `"${explicit}" is not the one the endpoint names ("${fromEndpoint}"): leave it out or correct it`);
  const resource = explicit ?? fromEndpoint;
  if (resource) return resource;
  if (endpoint && given === undefined) r.fail(`${key}.${name}`, `required: the endpoint is not of the form ${form}, so the SigV4 permissions cannot be scoped from it; give the ${service === 'aoss' ? 'collection id' : 'domain name'} (or "*" for all in the region)`);
  return '*';
}

function readAuth(r: Reader, key: string, raw: unknown, endpoint: string): ClusterAuth {
  const a = r.object(key, raw, false) ?? { type: 'none' };
  const type = a.type ?? 'none';
  if (type === 'none') {
    r.unknownKeys(key, a, ['type']);
    return { type: 'none' };
  }
  if (type === 'basic') {
    r.unknownKeys(key, a, ['type', 'username', 'passwordSecretArn', 'userSecretArn']);
    const secretHint = 'a Secrets Manager secret ARN, arn:aws:secretsmanager:<region>:<account>:secret:<name>';
    if (a.userSecretArn !== undefined) {
      if (a.username !== undefined || a.passwordSecretArn !== undefined) r.fail(key, 'give either userSecretArn (JSON secret with username and password) or username + passwordSecretArn, not both');
      const userSecretArn = r.string(`${key}.userSecretArn`, a.userSecretArn, { required: true, pattern: SECRET_ARN, hint: secretHint }) ?? '';
      return { type: 'basic', userSecretArn };
    }
    const username = r.string(`${key}.username`, a.username, { required: true, hint: 'basic auth needs a username' }) ?? '';
    const passwordSecretArn =
      r.string(`${key}.passwordSecretArn`, a.passwordSecretArn, { required: true, pattern: SECRET_ARN, hint: `${secretHint}; passwords are never taken in plain text` }) ?? '';
    if (a.password !== undefined) r.fail(`${key}.password`, 'plain-text passwords are not accepted: store it in Secrets Manager and give passwordSecretArn');
    return { type: 'basic', username, passwordSecretArn };
  }
  if (type === 'sigv4') {
    const service = a.serviceSigningName ?? 'es';
    r.unknownKeys(key, a, ['type', 'region', 'serviceSigningName', service === 'aoss' ? 'collectionId' : 'domainName']);
    const region = r.string(`${key}.region`, a.region, { required: true, pattern: /^[a-z]{2}(-[a-z]+)+-\d$/, hint: 'an AWS region such as us-east-1' }) ?? '';
    if (service !== 'es' && service !== 'aoss') r.fail(`${key}.serviceSigningName`, `expected "es" or "aoss" (got ${JSON.stringify(service)})`);
    const signing = service === 'aoss' ? 'aoss' : 'es';
    return { type: 'sigv4', region, serviceSigningName: signing, resourceName: sigv4Resource(r, key, signing === 'aoss' ? a.collectionId : a.domainName, endpoint, signing) };
  }
  r.fail(`${key}.type`, `expected none, basic or sigv4 (got ${JSON.stringify(type)})`);
  return { type: 'none' };
}

function readCluster(r: Reader, key: string, raw: unknown): ClusterConfig {
  const c = r.object(key, raw, true) ?? {};
  r.unknownKeys(key, c, ['endpoint', 'version', 'auth', 'allowInsecure']);
  const endpoint = r.string(`${key}.endpoint`, c.endpoint, { required: true, pattern: /^https?:\/\/[^\s/]+(:\d+)?\/?$/, hint: 'a URL such as https://host:9200' }) ?? '';
  const version = r.string(`${key}.version`, c.version, { pattern: /^((ES|OS)_\d+(\.\d+){0,2}|AOSS)$/i, hint: 'a version such as ES_7.10, OS_2.19 or AOSS' });
  return { endpoint: endpoint.replace(/\/$/, ''), version, auth: readAuth(r, `${key}.auth`, c.auth, endpoint), allowInsecure: r.boolean(`${key}.allowInsecure`, c.allowInsecure, false) };
}

function readNetwork(r: Reader, ctx: ContextReader, region: string): NetworkConfig {
  const vpcId = r.string('vpcId', ctx('vpcId'), { pattern: /^vpc-([0-9a-f]{8}|[0-9a-f]{17})$/, hint: 'a VPC id such as vpc-0a1b2c3d4e5f60718' });
  if (vpcId) {
    const subnetIds = r.stringList('vpcSubnetIds', ctx('vpcSubnetIds'));
    const azs = r.stringList('vpcSubnetAZs', ctx('vpcSubnetAZs'));
    if (!subnetIds) {
      r.fail('vpcSubnetIds', 'required with vpcId: the 2 or 3 private subnets (in distinct AZs) for MSK and the services');
      return { kind: 'imported', vpcId, subnets: [] };
    }
    for (const [i, s] of subnetIds.entries()) if (!/^subnet-([0-9a-f]{8}|[0-9a-f]{17})$/.test(s)) r.fail(`vpcSubnetIds[${i}]`, `expected a subnet id such as subnet-0a1b2c3d4e5f60718 (got "${s}")`);
    if (subnetIds.length < 2 || subnetIds.length > 3) {
      r.fail('vpcSubnetIds', `MSK needs 2 or 3 subnets, one in each of distinct Availability Zones (got ${subnetIds.length})`);
    }
    if (!azs || azs.length !== subnetIds.length) {
      r.fail('vpcSubnetAZs', `required with vpcSubnetIds: the Availability Zone of each subnet, in the same order (${subnetIds.length} entries), because synth does no AWS lookups`);
      return { kind: 'imported', vpcId, subnets: [] };
    }
    if (new Set(azs).size !== azs.length) r.fail('vpcSubnetAZs', `MSK needs its subnets in distinct Availability Zones (got ${azs.join(', ')}): pick one subnet per AZ`);
    for (const [i, az] of azs.entries()) if (!az.startsWith(region)) r.fail(`vpcSubnetAZs[${i}]`, `"${az}" is not an Availability Zone of region ${region}`);
    if (ctx('vpcAZCount') !== undefined && Number(ctx('vpcAZCount')) !== subnetIds.length) {
      r.fail('vpcAZCount', `must equal the number of vpcSubnetIds (${subnetIds.length}) when a VPC is imported, or be left out`);
    }
    const vpcCidr = r.string('vpcCidr', ctx('vpcCidr'), { pattern: /^\d+\.\d+\.\d+\.\d+\/\d+$/, hint: 'a CIDR such as 10.0.0.0/16' });
    return { kind: 'imported', vpcId, vpcCidr, subnets: subnetIds.map((subnetId, i) => ({ subnetId, availabilityZone: azs[i] })) };
  }
  if (ctx('vpcSubnetIds') !== undefined) r.fail('vpcSubnetIds', 'only used with vpcId: give vpcId too, or leave both out for a new VPC');
  const azCount = r.number('vpcAZCount', ctx('vpcAZCount'), 2, { integer: true, oneOf: [2, 3] });
  const given = r.stringList('vpcAvailabilityZones', ctx('vpcAvailabilityZones'));
  const availabilityZones = given ?? ['a', 'b', 'c'].slice(0, azCount).map((s) => `${region}${s}`);
  if (availabilityZones.length !== azCount) r.fail('vpcAvailabilityZones', `must list exactly vpcAZCount (${azCount}) zones (got ${availabilityZones.length})`);
  const natGateways = r.number('vpcNatGateways', ctx('vpcNatGateways'), 1, { integer: true, min: 0, max: azCount });
  const cidr = r.string('vpcCidr', ctx('vpcCidr'), { pattern: /^\d+\.\d+\.\d+\.\d+\/\d+$/, hint: 'a CIDR such as 10.212.0.0/16' }) ?? '10.212.0.0/16';
  return { kind: 'new', azCount, availabilityZones, natGateways, cidr };
}

function readSize(r: Reader, key: string, o: Record<string, unknown>, cpu: number, memoryMiB: number) {
  return {
    cpu: r.number(`${key}.cpu`, o.cpu, cpu, { oneOf: FARGATE_CPU }),
    memoryMiB: r.number(`${key}.memoryMiB`, o.memoryMiB, memoryMiB, { integer: true, min: 512, max: 122880 }),
  };
}

/** Our context keys; any other key must be the CDK's own or the reference's (mapped or refused). */
export const CONTEXT_KEYS = [
  'stage', 'deployId', 'env', 'sourceCluster', 'targetCluster', 'vpcId', 'vpcSubnetIds', 'vpcSubnetAZs', 'vpcAZCount', 'vpcAvailabilityZones', 'vpcNatGateways',
  'vpcCidr', 'kafka', 'console', 'replayer', 'backfill', 'captureProxy', 'captureProxyService', 'logRetentionDays', 'logEncryptionKey', 'resultsRetentionDays', 'removalPolicies',
];

const CIDR = /^(\d{1,3})(\.\d{1,3}){3}\/\d{1,2}$/;
const ACM_ARN = /^arn:aws[a-z-]*:acm:([a-z0-9-]+):\d{12}:certificate\/[A-Za-z0-9-]+$/;
const KMS_KEY_ARN = /^arn:aws[a-z-]*:kms:([a-z0-9-]+):\d{12}:key\/[A-Za-z0-9-]+$/;

/** The proxy fleet behind a load balancer; `vpcCidr` is the CIDR clients are allowed from by default, when known. */
function readCaptureProxyService(r: Reader, raw: unknown, region: string, network: NetworkConfig, onNodeEnabled: boolean): CaptureProxyServiceConfig {
  const key = 'captureProxyService';
  const s = r.object(key, raw, false) ?? {};
  r.unknownKeys(key, s, ['enabled', 'desiredCount', 'cpu', 'memoryMiB', 'listenerPort', 'certificateArn', 'internetFacing', 'clientCidrs', 'extraArgs']);
  const enabled = r.boolean(`${key}.enabled`, s.enabled, false);
  const internetFacing = r.boolean(`${key}.internetFacing`, s.internetFacing, false);
  const vpcCidr = network.kind === 'new' ? network.cidr : network.vpcCidr;
  if (enabled && internetFacing && network.kind === 'imported') r.fail(`${key}.internetFacing`, 'an internet-facing load balancer needs public subnets, which are only known in a VPC this app creates: leave vpcId out, or keep the load balancer internal');
  const certificateArn =
    r.string(`${key}.certificateArn`, s.certificateArn, {
      required: enabled,
      pattern: ACM_ARN,
      hint: 'the ACM certificate of the HTTPS listener, arn:aws:acm:<region>:<account>:certificate/<id> (README "Proxy fleet" shows how to import a self-signed one for a test)',
    }) ?? '';
  const certRegion = ACM_ARN.exec(certificateArn)?.[1];
  if (certRegion && certRegion !== region) r.fail(`${key}.certificateArn`, `the certificate is in ${certRegion}; a load balancer in ${region} needs one from ACM in ${region}`);
  const given = r.stringList(`${key}.clientCidrs`, s.clientCidrs);
  for (const [i, c] of (given ?? []).entries()) if (!CIDR.test(c)) r.fail(`${key}.clientCidrs[${i}]`, `expected a CIDR such as 10.0.0.0/16 (got "${c}")`);
  if (enabled && !given && internetFacing) r.fail(`${key}.clientCidrs`, 'required with internetFacing: the address ranges of the clients (0.0.0.0/0 opens the listener to anyone)');
  else if (enabled && !given && !vpcCidr) r.fail(`${key}.clientCidrs`, 'required with an imported VPC that has no vpcCidr: the address ranges of the clients (or give vpcCidr)');
  if (enabled && onNodeEnabled) r.fail(`${key}.enabled`, 'the proxy fleet and the on-node proxy (captureProxy.enabled) would capture the same traffic twice: set captureProxy.enabled to false, or leave the fleet off');
  return {
    enabled,
    desiredCount: r.number(`${key}.desiredCount`, s.desiredCount, 2, { integer: true, min: 1, max: 100 }),
    ...readSize(r, key, s, 1024, 2048),
    listenerPort: r.number(`${key}.listenerPort`, s.listenerPort, 9200, { integer: true, min: 1, max: 65535 }),
    certificateArn,
    internetFacing,
    clientCidrs: given ?? (vpcCidr ? [vpcCidr] : []),
    extraArgs: r.args(`${key}.extraArgs`, s.extraArgs),
  };
}

function readLogEncryption(r: Reader, raw: unknown, region: string): LogEncryption {
  if (raw === undefined || raw === null || raw === '' || raw === 'none') return { kind: 'none' };
  if (raw === 'create') return { kind: 'create' };
  const keyArn = r.string('logEncryptionKey', raw, { pattern: KMS_KEY_ARN, hint: '"create" (a key this app makes) or a KMS key ARN, arn:aws:kms:<region>:<account>:key/<id>' });
  const keyRegion = keyArn ? KMS_KEY_ARN.exec(keyArn)?.[1] : undefined;
  if (keyRegion && keyRegion !== region) r.fail('logEncryptionKey', `the key is in ${keyRegion}; CloudWatch Logs in ${region} needs a key in ${region}`);
  return keyArn ? { kind: 'key', keyArn } : { kind: 'none' };
}

/**
 * The context as read: the reference's named blocks (its cdk.context.json, selected with
 * -c contextId=<name>) and its keys mapped onto ours; every key that is not ours, the CDK's own
 * or the reference's is an error naming it (only when the app can list the keys: `allKeys`).
 */
function effectiveContext(r: Reader, ctx: ContextReader, allKeys?: string[]): ContextReader {
  const contextId = ctx('contextId');
  let block: Record<string, unknown> | undefined;
  if (contextId !== undefined) {
    if (typeof contextId !== 'string' || !contextId) r.fail('contextId', 'expected the name of a block of the context, e.g. -c contextId=default');
    else block = r.object(contextId, ctx(contextId), true) ?? {};
  }
  const names = new Set([...CONTEXT_KEYS, ...Object.keys(REFERENCE_CONTEXT), ...(allKeys ?? []), ...Object.keys(block ?? {})]);
  const raw: Record<string, unknown> = {};
  for (const k of names) {
    if (k === 'contextId' || k === contextId || isCdkOwnKey(k)) continue;
    const v = block && k in block ? block[k] : ctx(k);
    if (v !== undefined) raw[k] = v;
  }
  if (allKeys) {
    for (const k of [...allKeys, ...Object.keys(block ?? {})]) {
      if (k === 'contextId' || k === contextId || isCdkOwnKey(k) || CONTEXT_KEYS.includes(k) || k in REFERENCE_CONTEXT) continue;
      const v = ctx(k) as { stage?: unknown } | undefined;
      if (v && typeof v === 'object' && 'stage' in v && !block) r.fail(k, `unknown context key: it looks like a block of the reference's cdk.context.json; select it with -c contextId=${k}`);
      else r.fail(k, `unknown context key (ours: ${CONTEXT_KEYS.join(', ')}; see README "Deploying to AWS")`);
    }
  }
  const { values, problems } = applyReferenceContext(raw);
  for (const p of problems) r.problems.push(p);
  return (key) => values[key];
}

/** Validates the whole context; throws one ContextError listing every problem. */
export function readMigrationContext(reader: ContextReader, allKeys?: string[]): MigrationConfig {
  const r = new Reader();
  const ctx = effectiveContext(r, reader, allKeys);
  const stage = r.string('stage', ctx('stage'), { required: true, pattern: /^[A-Za-z][A-Za-z0-9]{0,14}$/, hint: 'letters and digits, starting with a letter, at most 15 characters, e.g. -c stage=dev' }) ?? 'invalid';
  const deployId = r.string('deployId', ctx('deployId'), { pattern: /^[A-Za-z0-9_-]{1,32}$/, hint: 'letters, digits, - or _' }) ?? 'default';
  const env = r.object('env', ctx('env'), true) ?? {};
  r.unknownKeys('env', env, ['account', 'region']);
  const account = r.string('env.account', env.account ?? process.env.CDK_DEFAULT_ACCOUNT, { required: true, pattern: /^\d{12}$/, hint: 'the 12-digit AWS account id' }) ?? '000000000000';
  const region = r.string('env.region', env.region ?? process.env.CDK_DEFAULT_REGION, { required: true, pattern: /^[a-z]{2}(-[a-z]+)+-\d$/, hint: 'an AWS region such as us-east-1' }) ?? 'us-east-1';

  const sourceCluster = readCluster(r, 'sourceCluster', ctx('sourceCluster'));
  const targetCluster = readCluster(r, 'targetCluster', ctx('targetCluster'));
  const network = readNetwork(r, ctx, region);

  const k = r.object('kafka', ctx('kafka'), false) ?? {};
  r.unknownKeys('kafka', k, ['brokersPerAz', 'instanceType', 'volumeSizeGiB', 'kafkaVersion']);
  const kafka: KafkaConfig = {
    brokersPerAz: r.number('kafka.brokersPerAz', k.brokersPerAz, 1, { integer: true, min: 1, max: 10 }),
    instanceType: r.string('kafka.instanceType', k.instanceType, { pattern: /^kafka\.[a-z0-9]+\.[a-z0-9]+$/, hint: 'an MSK broker type such as kafka.m7g.large' }) ?? 'kafka.m7g.large',
    volumeSizeGiB: r.number('kafka.volumeSizeGiB', k.volumeSizeGiB, 100, { integer: true, min: 1, max: 16384 }),
    kafkaVersion: r.string('kafka.kafkaVersion', k.kafkaVersion, { pattern: /^\d+\.\d+\.\d+(\.x)?$/, hint: 'an MSK Kafka version such as 3.6.0' }) ?? '3.6.0',
  };

  const c = r.object('console', ctx('console'), false) ?? {};
  r.unknownKeys('console', c, ['enabled', 'cpu', 'memoryMiB']);
  const consoleCfg: ConsoleConfig = { enabled: r.boolean('console.enabled', c.enabled, true), ...readSize(r, 'console', c, 1024, 2048) };

  const rp = r.object('replayer', ctx('replayer'), false) ?? {};
  r.unknownKeys('replayer', rp, ['enabled', 'cpu', 'memoryMiB', 'groupId', 'speedupFactor', 'extraArgs']);
  const replayer: ReplayerConfig = {
    enabled: r.boolean('replayer.enabled', rp.enabled, true),
    ...readSize(r, 'replayer', rp, 1024, 4096),
    groupId: r.string('replayer.groupId', rp.groupId, { pattern: /^[A-Za-z0-9._-]{1,200}$/, hint: 'a Kafka group id: letters, digits, . _ -' }) ?? 'logging-group-default',
    speedupFactor: r.number('replayer.speedupFactor', rp.speedupFactor, 1, { min: 0.01, max: 1000 }),
    extraArgs: r.args('replayer.extraArgs', rp.extraArgs),
  };

  const b = r.object('backfill', ctx('backfill'), false) ?? {};
  r.unknownKeys('backfill', b, ['enabled', 'cpu', 'memoryMiB', 'ephemeralStorageGiB', 'maxWorkers', 'extraArgs']);
  const backfill: BackfillConfig = {
    enabled: r.boolean('backfill.enabled', b.enabled, true),
    ...readSize(r, 'backfill', b, 2048, 4096),
    ephemeralStorageGiB: r.number('backfill.ephemeralStorageGiB', b.ephemeralStorageGiB, 21, { integer: true, min: 21, max: 200 }),
    maxWorkers: r.number('backfill.maxWorkers', b.maxWorkers, 5, { integer: true, min: 1, max: 1000 }),
    extraArgs: r.args('backfill.extraArgs', b.extraArgs),
  };

  const p = r.object('captureProxy', ctx('captureProxy'), false) ?? {};
  r.unknownKeys('captureProxy', p, ['enabled', 'listenPort', 'nodePort', 'destinationScheme', 'extraArgs']);
  const captureProxy: CaptureProxyConfig = {
    enabled: r.boolean('captureProxy.enabled', p.enabled, true),
    listenPort: r.number('captureProxy.listenPort', p.listenPort, 9200, { integer: true, min: 1, max: 65535 }),
    nodePort: r.number('captureProxy.nodePort', p.nodePort, 19200, { integer: true, min: 1, max: 65535 }),
    destinationScheme: p.destinationScheme === 'https' ? 'https' : 'http',
    extraArgs: r.args('captureProxy.extraArgs', p.extraArgs),
  };
  if (p.destinationScheme !== undefined && p.destinationScheme !== 'http' && p.destinationScheme !== 'https') r.fail('captureProxy.destinationScheme', `expected "http" or "https" (got ${JSON.stringify(p.destinationScheme)})`);
  if (captureProxy.listenPort === captureProxy.nodePort) r.fail('captureProxy.nodePort', `must differ from captureProxy.listenPort (both ${captureProxy.listenPort})`);

  const captureProxyService = readCaptureProxyService(r, ctx('captureProxyService'), region, network, captureProxy.enabled);
  const logRetentionDays = r.number('logRetentionDays', ctx('logRetentionDays'), 30, { oneOf: LOG_RETENTION_DAYS_ALLOWED });
  const resultsRetentionDays = r.number('resultsRetentionDays', ctx('resultsRetentionDays'), 90, { integer: true, min: 1, max: 3650 });
  const logEncryption = readLogEncryption(r, ctx('logEncryptionKey'), region);
  const rm = r.object('removalPolicies', ctx('removalPolicies'), false) ?? {};
  r.unknownKeys('removalPolicies', rm, ['artifactsBucket', 'resultsBucket', 'logGroups', 'kafka']);
  const removalPolicies: RemovalPolicies = {
    artifactsBucket: r.removal('removalPolicies.artifactsBucket', rm.artifactsBucket),
    resultsBucket: r.removal('removalPolicies.resultsBucket', rm.resultsBucket),
    logGroups: r.removal('removalPolicies.logGroups', rm.logGroups),
    kafka: r.removal('removalPolicies.kafka', rm.kafka),
  };

  if (r.problems.length > 0) throw new ContextError(r.problems);
  return { stage, deployId, account, region, sourceCluster, targetCluster, network, kafka, console: consoleCfg, replayer, backfill, captureProxy, captureProxyService, logRetentionDays, logEncryption, resultsRetentionDays, removalPolicies };
}
