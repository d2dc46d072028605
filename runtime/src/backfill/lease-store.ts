import { ClusterClient, ClusterRequestError } from '../core/cluster-client';
import { Versioned } from './work-items';

export const DEFAULT_WORKING_STATE_INDEX = '.migrations_working_state';

/**
 * Documents in the working-state index on the target, written with optimistic concurrency
 * (if_seq_no/if_primary_term): of two workers that race for one lease, exactly one write succeeds.
 */
export class LeaseStore {
  constructor(
    private readonly target: ClusterClient,
    readonly indexName: string,
  ) {}

  private path(id: string): string {
    return `/${encodeURIComponent(this.indexName)}/_doc/${encodeURIComponent(id)}`;
  }

  async ensureIndex(): Promise<void> {
    const res = await this.target.request({
      method: 'PUT',
      path: `/${encodeURIComponent(this.indexName)}`,
      body: { settings: { number_of_shards: 1, auto_expand_replicas: '0-1' }, mappings: { dynamic: false, properties: { kind: { type: 'keyword' }, index: { type: 'keyword' }, status: { type: 'keyword' } } } },
    });
    if (res.statusCode >= 300 && !res.body.toString('utf8').includes('resource_already_exists_exception')) throw new ClusterRequestError({ method: 'PUT', path: `/${this.indexName}` }, res);
  }

  async exists(): Promise<boolean> {
    const res = await this.target.request({ method: 'HEAD', path: `/${encodeURIComponent(this.indexName)}` });
    return res.statusCode === 200;
  }

  async get<T>(id: string): Promise<Versioned<T> | undefined> {
    const res = await this.target.request({ method: 'GET', path: this.path(id) });
    if (res.statusCode === 404) return undefined;
    if (res.statusCode !== 200) throw new ClusterRequestError({ method: 'GET', path: this.path(id) }, res);
    const body = JSON.parse(res.body.toString('utf8'));
    return { id, seqNo: body._seq_no, primaryTerm: body._primary_term, doc: body._source as T };
  }

  /** Every document, with its version (read after a refresh so that new items are seen). */
  async all<T>(): Promise<Versioned<T>[]> {
    await this.target.request({ method: 'POST', path: `/${encodeURIComponent(this.indexName)}/_refresh` });
    const out: Versioned<T>[] = [];
    let after: unknown[] | undefined;
    for (;;) {
      const body = await this.target.json('POST', `/${encodeURIComponent(this.indexName)}/_search`, {
        size: 5000,
        seq_no_primary_term: true,
        sort: [{ _id: 'asc' }],
        ...(after ? { search_after: after } : {}),
      });
      const hits = body.hits.hits as any[];
      for (const h of hits) out.push({ id: h._id, seqNo: h._seq_no, primaryTerm: h._primary_term, doc: h._source as T });
      if (hits.length < 5000) return out;
      after = hits[hits.length - 1].sort;
    }
  }

  /** False when the document already exists (someone else created it). */
  async create(id: string, doc: unknown): Promise<boolean> {
    const path = `${this.path(id)}?op_type=create&refresh=true`;
    const res = await this.target.request({ method: 'PUT', path, body: doc });
    if (res.statusCode === 409) return false;
    if (res.statusCode >= 300) throw new ClusterRequestError({ method: 'PUT', path }, res);
    return true;
  }

  /**
   * Creates many documents with _bulk (one refresh at the end); ids that already exist are left
   * as they are (another worker planned them first).
   */
  async createMany(docs: { id: string; doc: unknown }[]): Promise<void> {
    for (let i = 0; i < docs.length; i += 1000) {
      const chunk = docs.slice(i, i + 1000);
      const body = chunk.map((d) => `${JSON.stringify({ create: { _id: d.id } })}\n${JSON.stringify(d.doc)}\n`).join('');
      const last = i + 1000 >= docs.length;
      const path = `/${encodeURIComponent(this.indexName)}/_bulk${last ? '?refresh=true' : ''}`;
      const res = await this.target.request({ method: 'POST', path, body, headers: { 'content-type': 'application/x-ndjson' } });
      if (res.statusCode >= 300) throw new ClusterRequestError({ method: 'POST', path }, res);
      const parsed = JSON.parse(res.body.toString('utf8')) as { errors: boolean; items: { create: { status: number; error?: unknown } }[] };
      const bad = parsed.errors ? parsed.items.find((it) => it.create.status !== 201 && it.create.status !== 409) : undefined;
      if (bad) throw new ClusterRequestError({ method: 'POST', path }, { ...res, body: Buffer.from(JSON.stringify(bad.create.error)) });
    }
  }

  /** The new version, or undefined when someone changed the document since `prev` was read. */
  async update<T>(prev: Versioned<T>, doc: T, refresh = false): Promise<Versioned<T> | undefined> {
    const path = `${this.path(prev.id)}?if_seq_no=${prev.seqNo}&if_primary_term=${prev.primaryTerm}${refresh ? '&refresh=true' : ''}`;
    // Not retried blindly: a retried write that had landed would look like a lost race.
    const res = await this.target.request({ method: 'PUT', path, body: doc, retry: false });
    if (res.statusCode === 409) return undefined;
    if (res.statusCode >= 300) throw new ClusterRequestError({ method: 'PUT', path }, res);
    const body = JSON.parse(res.body.toString('utf8'));
    return { id: prev.id, seqNo: body._seq_no, primaryTerm: body._primary_term, doc };
  }
}
