import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ConfigError } from './errors';
import { fromReferenceLayout, IgnoredKey } from './services-yaml-compat';
import { parseVersion } from './version';

/*
 * services.yaml: the console's view of a migration (snake_case, every top-level key optional).
 * Validation reports every problem at once, each naming its key and what was expected.
 */

// Run the one-of checks even when a field inside failed, so that one pass reports every problem.
const ALWAYS = { when: () => true };

const url = z.string().refine((s) => /^https?:\/\/[^\s/]+/.test(s), { message: 'expected a URL such as https://host:9200' });
const empty = z.union([z.null(), z.strictObject({})]);
const nonEmpty = z.string().min(1, { message: 'expected a non-empty string' });

const basicAuth = z
  .strictObject({
    username: nonEmpty.optional(),
    password: nonEmpty.optional(),
    password_secret_arn: nonEmpty.optional(),
    user_secret_arn: nonEmpty.optional(),
  })
  .superRefine((v, ctx) => {
    // Three forms: username + password, username + password_secret_arn, or user_secret_arn alone.
    const forms = [v.password !== undefined, v.password_secret_arn !== undefined, v.user_secret_arn !== undefined].filter(Boolean).length;
    const message = 'expected username + password, username + password_secret_arn, or user_secret_arn alone';
    if (forms !== 1 || (v.user_secret_arn ? v.username !== undefined : v.username === undefined)) ctx.addIssue({ code: 'custom', message });
  });

// The region may be left out (the reference's `sigv4:`): it is read from the endpoint or AWS_REGION.
const sigv4 = z.strictObject({
  region: nonEmpty.optional(),
  service: z.enum(['es', 'aoss'], { message: 'expected es or aoss' }).default('es'),
});

const version = z.string().superRefine((v, ctx) => {
  try {
    parseVersion(v);
  } catch {
    ctx.addIssue({ code: 'custom', message: 'expected a version such as ES_7.10, OS_2.19 or AOSS' });
  }
});

function cluster(withProxy: boolean) {
  return z
    .strictObject({
      endpoint: url,
      allow_insecure: z.boolean().default(false),
      /** PEM CA bundle the cluster's certificate is checked against (a private CA), so that allow_insecure is not needed. */
      ca_file: nonEmpty.optional(),
      version: version.optional(),
      no_auth: empty.optional(),
      basic_auth: basicAuth.optional(),
      sigv4: sigv4.optional(),
      /** SigV4 signs for this endpoint's host while requests go to `endpoint` (e.g. the capture proxy). */
      sigv4_signing_endpoint: url.optional(),
      /** Set when the reference's file names auth we cannot use (a Kubernetes secret): the reason, given when the cluster is used. */
      unusable_auth: nonEmpty.optional(),
      ...(withProxy ? { proxy: z.strictObject({ endpoint: url }).optional() } : {}),
    })
    .superRefine((v, ctx) => exactlyOne(v, ['no_auth', 'basic_auth', 'sigv4'], ctx, false), ALWAYS);
}

const ecsService = z.strictObject({ cluster_name: nonEmpty, service_name: nonEmpty, aws_region: nonEmpty.optional() });
const localService = z.union([z.null(), z.strictObject({ command: z.array(z.string()).optional(), workers: z.number().int().positive().optional() })]);
const service = z
  .strictObject({ scale: z.number().int().min(0).default(1), ecs: ecsService.optional(), local: localService.optional() })
  .superRefine((v, ctx) => exactlyOne(v, ['ecs', 'local'], ctx, true), ALWAYS);

const kafka = z
  .strictObject({
    broker_endpoints: z.union([nonEmpty, z.array(nonEmpty).min(1)]),
    msk: empty.optional(),
    standard: empty.optional(),
    scram: z.strictObject({ username: nonEmpty, password: nonEmpty.optional(), password_secret_arn: nonEmpty.optional() }).optional(),
  })
  .superRefine((v, ctx) => exactlyOne(v, ['msk', 'standard', 'scram'], ctx, false), ALWAYS);

const elbArn = (kind: 'listener' | 'targetgroup') =>
  z.string().refine((v) => new RegExp(`^arn:aws[\\w-]*:elasticloadbalancing:[\\w-]+:\\d{12}:${kind}/`).test(v), { message: `expected an Elastic Load Balancing ${kind === 'listener' ? 'listener' : 'target group'} ARN (arn:aws:elasticloadbalancing:<region>:<account>:${kind}/...)` });
/** The proxy fleet's load balancer: the listener whose weights `traffic route` sets, and its three target groups. */
const loadBalancer = z.strictObject({
  endpoint: url.optional(),
  aws_region: nonEmpty.optional(),
  listener_arn: elbArn('listener'),
  target_groups: z.strictObject({ proxy: elbArn('targetgroup'), source: elbArn('targetgroup'), target: elbArn('targetgroup') }),
});

const allowlist = z.array(nonEmpty);
const servicesSchema = z.strictObject({
  source_cluster: cluster(true).optional(),
  target_cluster: cluster(false).optional(),
  backfill: service.optional(),
  replay: service.optional(),
  kafka: kafka.optional(),
  metadata_migration: z
    .strictObject({ index_allowlist: allowlist.optional(), index_template_allowlist: allowlist.optional(), component_template_allowlist: allowlist.optional() })
    .optional(),
  metrics_source: z
    .strictObject({
      cloudwatch: z.strictObject({ aws_region: nonEmpty.optional(), qualifier: nonEmpty.optional() }).optional(),
      prometheus: z.strictObject({ endpoint: url }).optional(),
    })
    .superRefine((v, ctx) => exactlyOne(v, ['cloudwatch', 'prometheus'], ctx, false), ALWAYS)
    .optional(),
  client_options: z.strictObject({ user_agent_extra: nonEmpty.optional() }).optional(),
  // Where the replayer's tuples are, for the console's tuples verbs: its --tuple-dir or --tuple-s3-*.
  tuples: z
    .strictObject({
      directory: nonEmpty.optional(),
      s3: z.strictObject({ bucket: nonEmpty, prefix: z.string().default('tuples/'), region: nonEmpty.optional(), endpoint: url.optional() }).optional(),
    })
    .superRefine((v, ctx) => exactlyOne(v, ['directory', 's3'], ctx, false), ALWAYS)
    .optional(),
  load_balancer: loadBalancer.optional(),
});

function exactlyOne(v: Record<string, unknown> | undefined, keys: string[], ctx: z.RefinementCtx, allowNone: boolean): void {
  if (!v || typeof v !== 'object') return;
  const present = keys.filter((k) => v[k] !== undefined);
  if (present.length > 1) ctx.addIssue({ code: 'custom', message: `expected only one of ${keys.join(', ')} (got ${present.join(' and ')})` });
  else if (present.length === 0 && !allowNone) ctx.addIssue({ code: 'custom', message: `expected one of ${keys.join(', ')}` });
}

export type ServicesYaml = z.output<typeof servicesSchema>;
export type ClusterYaml = NonNullable<ServicesYaml['source_cluster']>;
export type { IgnoredKey } from './services-yaml-compat';

export type AuthConfig =
  | { type: 'none' }
  | { type: 'basic'; username?: string; password?: string; passwordSecretArn?: string; userSecretArn?: string }
  | { type: 'sigv4'; region: string; service: 'es' | 'aoss'; signingHost?: string };

/** The region of an Amazon OpenSearch Service or Serverless endpoint, from its host name. */
function regionOfEndpoint(endpoint: string): string | undefined {
  return /\.([a-z]{2}(?:-[a-z]+)+-\d)\.(?:es|aoss)\.amazonaws\.com/.exec(endpoint)?.[1];
}

/** The auth one cluster section names, in the form the cluster client takes. */
export function clusterAuth(c: Pick<ClusterYaml, 'endpoint' | 'no_auth' | 'basic_auth' | 'sigv4' | 'sigv4_signing_endpoint' | 'unusable_auth'>, env: NodeJS.ProcessEnv = process.env): AuthConfig {
  if (c.unusable_auth) throw new ConfigError(c.unusable_auth);
  if (c.basic_auth) {
    const b = c.basic_auth;
    return { type: 'basic', username: b.username, password: b.password, passwordSecretArn: b.password_secret_arn, userSecretArn: b.user_secret_arn };
  }
  if (c.sigv4) {
    const signing = c.sigv4_signing_endpoint ?? c.endpoint;
    const region = c.sigv4.region ?? regionOfEndpoint(signing) ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
    if (!region) throw new ConfigError(`sigv4 of ${c.endpoint}: give sigv4.region (or set AWS_REGION): the endpoint does not name one`);
    return { type: 'sigv4', region, service: c.sigv4.service, ...(c.sigv4_signing_endpoint ? { signingHost: new URL(c.sigv4_signing_endpoint).host } : {}) };
  }
  return { type: 'none' };
}

function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function valueAt(root: unknown, path: PropertyKey[]): unknown {
  let v: any = root;
  for (const p of path) v = v?.[p as any];
  return v;
}

/**
 * Parses and validates; throws one ConfigError listing every problem as `key.path: expected ...
 * (got ...)`. The reference console's layout is read too; its keys that do nothing here are
 * warned about once (opts.warn, stderr by default) and listed by ignoredKeysOf.
 */
export function parseServicesYaml(text: string, source = 'services.yaml', opts: { warn?: (line: string) => void } = {}): ServicesYaml {
  let raw: unknown;
  try {
    raw = parseYaml(text) ?? {};
  } catch (err) {
    throw new ConfigError(`${source} is not valid YAML: ${(err as Error).message}`);
  }
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new ConfigError(`${source}: expected a mapping of sections at the top level (got ${describeValue(raw)})`);
  const compat = fromReferenceLayout(raw as Record<string, unknown>);
  const result = servicesSchema.safeParse(compat.doc);
  if (result.success && compat.errors.length === 0) {
    ignoredKeys.set(result.data, compat.ignored);
    for (const i of compat.ignored) {
      const line = `warning: ${source}: ${i.key} is ignored: ${i.reason}`;
      if (!warned.has(line)) {
        warned.add(line);
        (opts.warn ?? ((l: string) => process.stderr.write(`${l}\n`)))(line);
      }
    }
    return result.data;
  }
  const lines = [...compat.errors, ...(result.success ? [] : result.error.issues.map((issue) => {
    if (issue.code === 'unrecognized_keys') {
      const where = issue.path.join('.');
      return issue.keys.map((k) => `${where ? `${where}.` : ''}${k}: unknown key (check its spelling and the section it is in)`).join('\n');
    }
    const key = issue.path.join('.') || '(top level)';
    const message = issue.message.replace(/^Invalid input: /, '');
    const got = valueAt(compat.doc, issue.path);
    if (got === undefined && issue.code === 'invalid_type') return `${key}: required (expected ${issue.expected})`;
    return `${key}: ${message}${issue.code === 'custom' && typeof got === 'object' ? '' : ` (got ${describeValue(got)})`}`;
  }))];
  throw new ConfigError(`${source} has ${lines.length} problem${lines.length > 1 ? 's' : ''}:\n  ${lines.join('\n  ')}`);
}

const ignoredKeys = new WeakMap<ServicesYaml, IgnoredKey[]>();
const warned = new Set<string>();

/** The reference's keys that the file had and that do nothing here, each with the reason. */
export function ignoredKeysOf(config: ServicesYaml): IgnoredKey[] {
  return ignoredKeys.get(config) ?? [];
}

export function loadServicesYaml(file: string): ServicesYaml {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return parseServicesYaml(text, file);
}
