/*
 * The reference console's services.yaml, read as ours: every key of its schema is mapped to ours
 * where we do the same job, accepted and reported (key and reason) where it does not apply here,
 * or an error where the file cannot work (a backfill from a snapshot with no live source).
 * Runs on the raw YAML, before our schema checks it.
 */

export interface IgnoredKey {
  /** Where it is, e.g. `snapshot` or `source_cluster.proxy.name`. */
  key: string;
  /** Why it does nothing here, and what does the job instead. */
  reason: string;
}

export interface CompatResult {
  doc: Record<string, unknown>;
  ignored: IgnoredKey[];
  errors: string[];
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => !!v && typeof v === 'object' && !Array.isArray(v);
/** The reference writes an empty section as null, "" or {} (`standard: ""`, `sigv4:`). */
const isEmpty = (v: unknown) => v === null || v === '' || (isObj(v) && Object.keys(v).length === 0);

const NO_SNAPSHOT = 'the backfill and the metadata migration read the live source cluster, not a snapshot';
const NOT_DRIVEN = (what: string, section: string) => `${what} are not driven by this console: give ${section}.ecs {cluster_name, service_name} or ${section}.local {command} for start/stop/scale`;

class Reader {
  readonly ignored: IgnoredKey[] = [];
  readonly errors: string[] = [];

  ignore(key: string, reason: string): void {
    this.ignored.push({ key, reason });
  }

  /** Moves the keys named in `reasons` out of `o`, noting each. */
  drop(o: Obj, at: string, reasons: Record<string, string>): void {
    for (const [k, reason] of Object.entries(reasons)) {
      if (k in o) {
        this.ignore(`${at}.${k}`, reason);
        delete o[k];
      }
    }
  }
}

/** A bare version as the reference's Kubernetes charts write it (7.10.2, 2.16.0): ES for 5 and up, else OpenSearch. */
function versionOf(v: unknown): unknown {
  if (typeof v !== 'string' || !/^\d+(\.\d+){0,2}$/.test(v.trim())) return v;
  const major = Number(v.split('.')[0]);
  return `${major >= 5 ? 'ES' : 'OS'}_${v.trim()}`;
}

function cluster(r: Reader, c: unknown, at: string): void {
  if (!isObj(c)) return;
  if ('version' in c) c.version = versionOf(c.version);
  for (const k of ['no_auth', 'sigv4'] as const) if (k in c && isEmpty(c[k])) c[k] = k === 'sigv4' ? {} : null;
  const basic = c.basic_auth;
  if (isObj(basic)) {
    // The reference's older name for a password stored in Secrets Manager.
    if ('aws_secret_arn' in basic) {
      basic.password_secret_arn = basic.aws_secret_arn;
      delete basic.aws_secret_arn;
    }
    if ('k8s_secret_name' in basic) {
      r.ignore(`${at}.basic_auth.k8s_secret_name`, 'a Kubernetes secret is not read outside Kubernetes: the cluster cannot be used until basic_auth has username + password or user_secret_arn');
      c.unusable_auth = `${at}.basic_auth.k8s_secret_name: the credentials are in a Kubernetes secret, which is not read here; give basic_auth.user_secret_arn (a Secrets Manager secret with username and password) or username + password`;
      delete c.basic_auth;
      c.no_auth = null;
    }
  }
  if ('mtls_auth' in c) {
    r.ignore(`${at}.mtls_auth`, 'client certificates to the cluster are not supported: the cluster cannot be used until it has no_auth, basic_auth or sigv4');
    c.unusable_auth = `${at}.mtls_auth: client-certificate auth to the cluster is not supported here; give no_auth, basic_auth or sigv4`;
    delete c.mtls_auth;
    if (!('basic_auth' in c) && !('sigv4' in c)) c.no_auth = null;
  }
  r.drop(c, at, { client_cert: 'client certificates to the cluster are not supported; the cluster is reached with its no_auth, basic_auth or sigv4' });
  const proxy = c.proxy;
  if (isObj(proxy)) {
    const reason = 'the console reaches the source cluster directly; of the proxy only its endpoint is read';
    for (const k of Object.keys(proxy)) if (k !== 'endpoint') r.ignore(`${at}.proxy.${k}`, reason);
    c.proxy = 'endpoint' in proxy ? { endpoint: proxy.endpoint } : undefined;
    if (c.proxy === undefined) delete c.proxy;
  }
}

/** backfill or replay: the reference's deployment kinds, as ours where they are ours. */
function service(r: Reader, s: Obj, at: string): void {
  if ('docker' in s) {
    const docker = s.docker;
    r.ignore(`${at}.docker`, `the reference's containers are not started here: ${at} runs local worker processes, named by ${at}.local.command`);
    if (!('local' in s) && !('ecs' in s)) s.local = null;
    if (isObj(docker) && docker.socket !== undefined) r.ignore(`${at}.docker.socket`, 'no Docker engine is used');
    delete s.docker;
  }
  for (const [k, what] of [['k8s', 'Kubernetes deployments'], ['argo', 'Argo workflows']] as const) {
    if (k in s) {
      r.ignore(`${at}.${k}`, NOT_DRIVEN(what, at.split('.')[0]));
      delete s[k];
    }
  }
}

function backfill(r: Reader, b: unknown, doc: Obj): void {
  if (!isObj(b)) return;
  const rfs = b.reindex_from_snapshot;
  if ('reindex_from_snapshot' in b) {
    if (!doc.source_cluster) {
      r.errors.push('backfill.reindex_from_snapshot: this backfill copies documents from the live source cluster, and services.yaml has no source_cluster: add source_cluster {endpoint, and no_auth, basic_auth or sigv4}');
    }
    delete b.reindex_from_snapshot;
    if (isObj(rfs)) {
      const at = 'backfill.reindex_from_snapshot';
      r.drop(rfs, at, {
        snapshot_name: NO_SNAPSHOT,
        snapshot_repo: NO_SNAPSHOT,
        session_name: 'work is tracked in .migrations_working_state on the target (document-backfill --working-state-index)',
        backfill_session_name: 'work is tracked in .migrations_working_state on the target (document-backfill --working-state-index)',
      });
      service(r, rfs, at);
      for (const k of ['ecs', 'local', 'scale']) {
        if (!(k in rfs)) continue;
        if (k in b) r.errors.push(`backfill.${k} and backfill.reindex_from_snapshot.${k} both say where the workers run: keep one`);
        else b[k] = rfs[k];
        delete rfs[k];
      }
      for (const k of Object.keys(rfs)) b[`reindex_from_snapshot.${k}`] = rfs[k];
    }
  }
  if ('opensearch_ingestion' in b) {
    r.ignore('backfill.opensearch_ingestion', NOT_DRIVEN('OpenSearch Ingestion pipelines', 'backfill'));
    delete b.opensearch_ingestion;
  }
}

function metadata(r: Reader, m: unknown, doc: Obj): void {
  if (!isObj(m)) return;
  r.drop(m, 'metadata_migration', {
    from_snapshot: NO_SNAPSHOT,
    min_replicas: 'indices keep the replica counts of the source (metadata-migration copies the settings)',
    cluster_awareness_attributes: 'indices keep the replica counts of the source (metadata-migration copies the settings)',
    otel_endpoint: 'metrics are served as Prometheus or EMF, not sent to an OpenTelemetry collector',
  });
  if ('source_cluster_version' in m) {
    const v = versionOf(m.source_cluster_version);
    const source = doc.source_cluster;
    if (isObj(source) && source.version === undefined) source.version = v;
    else r.ignore('metadata_migration.source_cluster_version', isObj(source) ? 'source_cluster.version says it' : 'there is no source_cluster to give it to');
    delete m.source_cluster_version;
  }
}

/** Reads the reference's keys in a raw services.yaml document (a copy is changed, not the input). */
export function fromReferenceLayout(raw: Obj): CompatResult {
  const doc = structuredClone(raw);
  const r = new Reader();
  if ('snapshot' in doc) {
    r.ignore('snapshot', NO_SNAPSHOT);
    delete doc.snapshot;
  }
  cluster(r, doc.source_cluster, 'source_cluster');
  cluster(r, doc.target_cluster, 'target_cluster');
  backfill(r, doc.backfill, doc);
  if (isObj(doc.backfill)) service(r, doc.backfill, 'backfill');
  if (isObj(doc.replay)) service(r, doc.replay, 'replay');
  metadata(r, doc.metadata_migration, doc);
  const kafka = doc.kafka;
  if (isObj(kafka)) for (const k of ['msk', 'standard']) if (k in kafka && isEmpty(kafka[k])) kafka[k] = null;
  const metrics = doc.metrics_source;
  if (isObj(metrics) && 'cloudwatch' in metrics && isEmpty(metrics.cloudwatch)) metrics.cloudwatch = {};
  return { doc, ignored: r.ignored, errors: r.errors };
}
