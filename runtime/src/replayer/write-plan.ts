import { BulkAction, bulkBody, parseBulkActions } from './bulk-body';
import { BulkItemResult, scanBulkItems } from '../core/bulk-items';
import { documentWrite, DocumentWrite, unconditionalUri, versionedUri } from './document-write';
import { Header, HttpRequest, HttpResponse } from '../core/http/message';
import { decodedBody } from '../core/http/content-coding';
import type { TargetAttempt } from './sender';

/**
 * The replayer's verdict on a document write (the `outcome` of its tuple):
 * - replayed: sent with the source's id and version, and the target took it;
 * - superseded: the target refused the version: it holds that version or a newer one;
 * - alreadyPresent: the source created the document, the target already had it (201 vs 200);
 * - sourceRefused: not sent, the source answered it with an error;
 * - unversioned: sent as captured, it cannot carry a version (partial update, script, by-query);
 * - asCaptured: sent as captured (--replay-writes-as-captured, or the source's answer could not
 *   be read or did not line up with the request).
 */
export type WriteOutcome = 'replayed' | 'superseded' | 'alreadyPresent' | 'sourceRefused' | 'unversioned' | 'asCaptured';

export const WRITE_OUTCOMES: readonly WriteOutcome[] = ['replayed', 'superseded', 'alreadyPresent', 'sourceRefused', 'unversioned', 'asCaptured'];

/** Which outcome of a _bulk's items names the request: the one that most needs a look. */
const NOTABILITY: Record<WriteOutcome, number> = { asCaptured: 5, unversioned: 4, sourceRefused: 3, superseded: 2, alreadyPresent: 1, replayed: 0 };

/**
 * external_gte, not external: the same version sent again (a replay after a restart, a document
 * the backfill copied at that version) is a plain success instead of a conflict, and a source
 * whose clients write with external_gte themselves (same version, new content) is mirrored; a
 * conflict then always means that the target holds a strictly newer version.
 */
export const VERSION_TYPE = 'external_gte';

export interface WritePlanOptions {
  /** Send what the source refused anyway (as captured). */
  replayRefused: boolean;
}

export interface PlannedItem {
  outcome: WriteOutcome;
  sourceStatus: number | null;
  targetStatus: number | null;
  /** Sent with the source's version. */
  versioned: boolean;
  sent: boolean;
}

export interface WritePlan {
  outcome: WriteOutcome;
  detail?: string;
  /** Nothing is sent: the source refused the request (or each of its items). */
  skip: boolean;
  versioned: boolean;
  /** The target path and query to send instead of the captured one. */
  uri?: string;
  /** The (decoded) body to send instead of the captured one. */
  body?: Buffer;
  /** _bulk: one entry per action of the source request. */
  items?: PlannedItem[];
  /** Indices that receive a versioned delete (their tombstones must outlive the replay). */
  deleteIndices?: string[];
  /** The statuses differ for a reason the versions explain (see settleWrite): no difference to look at. */
  explained?: boolean;
}

function asCaptured(detail: string): WritePlan {
  return { outcome: 'asCaptured', detail, skip: false, versioned: false };
}

/** Whether the source did not apply the write: an error, except a delete that found nothing (it left a tombstone). */
function refused(op: string, status: number, result: string | undefined): boolean {
  return status >= 400 && !(op === 'delete' && status === 404 && result === 'not_found');
}

function jsonBody(headers: Header[], body: Buffer): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(decodedBody(headers, body).toString('utf8'));
    return value && typeof value === 'object' && !Array.isArray(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

function errorType(body: Record<string, unknown> | undefined): string | undefined {
  const error = body?.error;
  if (typeof error === 'string') return error;
  const type = (error as { type?: unknown } | undefined)?.type;
  return typeof type === 'string' ? type : undefined;
}

const usableVersion = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v > 0;

function safeDecode(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

/**
 * How to replay a document write, from the source's answer to it: with the `_id` and `_version`
 * the source assigned, without what the source refused, or as captured when the answer says
 * nothing certain. `response` is undefined when the capture holds no answer.
 */
export function planWrite(write: DocumentWrite, request: HttpRequest, response: HttpResponse | undefined, opts: WritePlanOptions): WritePlan {
  if (write.kind === 'byQuery') return { outcome: 'unversioned', detail: 'by-query and reindex requests cannot carry a version', skip: false, versioned: false };
  if (!response) return asCaptured('no source response in the capture');
  if (write.kind === 'bulk') return planBulk(request, response, opts);
  const status = response.statusCode;
  const body = status >= 200 && status < 300 && write.kind === 'update' ? undefined : jsonBody(response.headers, response.body);
  if (refused(write.kind, status, typeof body?.result === 'string' ? body.result : undefined)) {
    const why = `source answered ${status}${errorType(body) ? ` (${errorType(body)})` : ''}`;
    if (opts.replayRefused) return asCaptured(`${why}; replayed anyway (--replay-refused-writes)`);
    return { outcome: 'sourceRefused', detail: why, skip: true, versioned: false };
  }
  if (write.kind === 'update') {
    const uri = unconditionalUri(request.uri);
    return { outcome: 'unversioned', detail: 'an update (partial document or script) cannot carry a version', skip: false, versioned: false, uri: uri === request.uri ? undefined : uri };
  }
  if (!body) return asCaptured(`source response (${status}) is not a JSON object`);
  const version = body._version;
  if (!usableVersion(version)) return asCaptured(`source response has no usable _version (${JSON.stringify(version) ?? 'none'})`);
  const id = body._id;
  if (typeof id !== 'string') return asCaptured('source response has no _id');
  if (write.id !== undefined && safeDecode(write.id) !== id) return asCaptured(`source response is for _id ${JSON.stringify(id)}, the request for ${JSON.stringify(write.id)}`);
  const plan: WritePlan = { outcome: 'replayed', skip: false, versioned: true, uri: versionedUri(request.uri, write, id, version, VERSION_TYPE) };
  if (write.kind === 'delete') plan.deleteIndices = [safeDecode(write.segments[0]) ?? write.segments[0]];
  return plan;
}

const CONDITION_KEYS = ['if_seq_no', 'if_primary_term', 'version', 'version_type'];

/** The action's metadata without the source's own conditions; undefined when it has none. */
function withoutConditions(meta: Record<string, unknown>): Record<string, unknown> | undefined {
  if (!CONDITION_KEYS.some((k) => k in meta)) return undefined;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(meta)) if (!CONDITION_KEYS.includes(k)) out[k] = v;
  return out;
}

function actionLine(op: string, meta: Record<string, unknown>): Buffer {
  return Buffer.from(JSON.stringify({ [op]: meta }));
}

function planBulk(request: HttpRequest, response: HttpResponse, opts: WritePlanOptions): WritePlan {
  const status = response.statusCode;
  let actions: BulkAction[] | undefined;
  try {
    actions = parseBulkActions(decodedBody(request.headers, request.body));
  } catch {
    actions = undefined;
  }
  const itemsOf = (outcome: WriteOutcome, sent: boolean): PlannedItem[] | undefined =>
    actions?.map(() => ({ outcome, sourceStatus: null, targetStatus: null, versioned: false, sent }));
  if (status < 200 || status >= 300) {
    const why = `source answered ${status}${errorType(jsonBody(response.headers, response.body)) ? ` (${errorType(jsonBody(response.headers, response.body))})` : ''}`;
    if (opts.replayRefused) return { ...asCaptured(`${why}; replayed anyway (--replay-refused-writes)`), items: itemsOf('asCaptured', true) };
    return { outcome: 'sourceRefused', detail: why, skip: true, versioned: false, items: itemsOf('sourceRefused', false) };
  }
  let items: BulkItemResult[] | undefined;
  try {
    items = scanBulkItems(decodedBody(response.headers, response.body));
  } catch {
    items = undefined;
  }
  if (!actions) return asCaptured('the request body is not a list of _bulk actions');
  if (!items) return { ...asCaptured('source _bulk response cannot be read'), items: itemsOf('asCaptured', true) };
  if (items.length !== actions.length) return { ...asCaptured(`source _bulk response has ${items.length} items, request has ${actions.length}`), items: itemsOf('asCaptured', true) };
  for (let i = 0; i < actions.length; i++) {
    if (items[i].op !== actions[i].op) return { ...asCaptured(`source _bulk item ${i} answers "${items[i].op}", the request's action is "${actions[i].op}"`), items: itemsOf('asCaptured', true) };
  }
  const planned: PlannedItem[] = [];
  const out: { line: Buffer; source?: Buffer }[] = [];
  const deleteIndices = new Set<string>();
  const defaultIndex = defaultBulkIndex(request.uri);
  let refusedCount = 0;
  for (let i = 0; i < actions.length; i++) {
    const a = actions[i];
    const r = items[i];
    const item: PlannedItem = { outcome: 'replayed', sourceStatus: r.status, targetStatus: null, versioned: false, sent: true };
    planned.push(item);
    if (refused(a.op, r.status, r.result)) {
      refusedCount++;
      if (opts.replayRefused) {
        item.outcome = 'asCaptured';
        out.push(a);
      } else {
        item.outcome = 'sourceRefused';
        item.sent = false;
      }
      continue;
    }
    if (a.op === 'update') {
      item.outcome = 'unversioned';
      const meta = withoutConditions(a.meta);
      out.push(meta ? { line: actionLine(a.op, meta), source: a.source } : a);
      continue;
    }
    const givenId = a.meta._id;
    const idMatches = givenId === undefined || String(givenId) === r.id;
    if (!usableVersion(r.version) || r.id === undefined || !idMatches || (a.op !== 'index' && a.op !== 'create' && a.op !== 'delete')) {
      item.outcome = 'asCaptured';
      out.push(a);
      continue;
    }
    const meta = withoutConditions(a.meta) ?? { ...a.meta };
    meta._id = r.id;
    meta.version = r.version;
    meta.version_type = VERSION_TYPE;
    item.versioned = true;
    // The source created it: as an index with its version (a create cannot carry an external version).
    out.push({ line: actionLine(a.op === 'delete' ? 'delete' : 'index', meta), source: a.source });
    if (a.op === 'delete') {
      const index = typeof a.meta._index === 'string' ? a.meta._index : defaultIndex;
      if (index) deleteIndices.add(index);
    }
  }
  const plan: WritePlan = { outcome: 'replayed', skip: out.length === 0, versioned: planned.some((p) => p.versioned), items: planned };
  if (refusedCount) plan.detail = `${refusedCount} of ${actions.length} items refused by the source ${opts.replayRefused ? 'replayed anyway (--replay-refused-writes)' : 'left out'}`;
  if (plan.skip) plan.outcome = 'sourceRefused';
  else plan.body = bulkBody(out);
  if (deleteIndices.size) plan.deleteIndices = [...deleteIndices];
  return plan;
}

/**
 * The indices a prepared request deletes documents in (after the transforms, which may rename
 * them): a single DELETE's index, or the `_index` of a _bulk's delete actions.
 */
export function deletedIndices(method: string, path: string, headers: Header[], body: Buffer): string[] {
  const write = documentWrite(method, path);
  if (write?.kind === 'delete') return [safeDecode(write.segments[0]) ?? write.segments[0]];
  if (write?.kind !== 'bulk') return [];
  const defaultIndex = defaultBulkIndex(path);
  const out = new Set<string>();
  let actions: BulkAction[] | undefined;
  try {
    actions = parseBulkActions(decodedBody(headers, body));
  } catch {
    actions = undefined;
  }
  for (const a of actions ?? []) {
    const index = typeof a.meta._index === 'string' ? a.meta._index : defaultIndex;
    if (a.op === 'delete' && index) out.add(index);
  }
  return [...out];
}

/** The index a _bulk path names for actions without `_index` (/idx/_bulk, /idx/type/_bulk). */
function defaultBulkIndex(uri: string): string | undefined {
  const path = uri.split('?')[0].split('/').filter(Boolean);
  return path.length >= 2 ? safeDecode(path[0]) : undefined;
}

const RETRYABLE_STATUS = new Set([429, 500, 502, 503, 504]);

function attemptBody(a: TargetAttempt): Buffer | undefined {
  if (!a.body) return undefined;
  const headers: Header[] = [];
  for (const [k, v] of Object.entries(a.headers ?? {})) if (v !== undefined) headers.push([k, Array.isArray(v) ? v.join(', ') : String(v)]);
  try {
    return decodedBody(headers, a.body);
  } catch {
    return undefined;
  }
}

/**
 * The target's final status for each item sent, across the attempts: a retry resends only the
 * items that failed for load (429/5xx), in order, or the whole body after a 429/5xx answer.
 */
export function targetItemStatuses(sentCount: number, attempts: readonly TargetAttempt[]): (number | null)[] {
  const statuses: (number | null)[] = new Array(sentCount).fill(null);
  let current = Array.from({ length: sentCount }, (_, i) => i);
  for (const a of attempts) {
    if (a.error !== undefined || a.statusCode === undefined) continue;
    if (a.statusCode !== 200) {
      for (const i of current) statuses[i] = a.statusCode;
      if (RETRYABLE_STATUS.has(a.statusCode)) continue;
      break;
    }
    const body = attemptBody(a);
    const items = body ? scanBulkItems(body) : undefined;
    if (!items || items.length !== current.length) break;
    const next: number[] = [];
    for (let j = 0; j < items.length; j++) {
      statuses[current[j]] = items[j].status;
      if (items[j].status === 429 || items[j].status >= 500) next.push(current[j]);
    }
    current = next;
    if (!current.length) break;
  }
  return statuses;
}

function versionedOutcome(sourceStatus: number | null | undefined, targetStatus: number | null | undefined): WriteOutcome {
  if (targetStatus === 409) return 'superseded';
  if (sourceStatus === 201 && targetStatus === 200) return 'alreadyPresent';
  return 'replayed';
}

/**
 * Why a versioned write the target took answered otherwise than the source, when the versions
 * say why: the source updated (200) what the target creates (201), or deleted (200) what the
 * target never had (404). The earlier versions reach the target later, or never (the backfill
 * copied a later state, the document was gone before the copy).
 */
function versionedDifference(sourceStatus: number | null | undefined, targetStatus: number | null | undefined): string | undefined {
  if (sourceStatus === 200 && targetStatus === 201) return 'the target held no earlier version of the document';
  if (sourceStatus === 200 && targetStatus === 404) return 'the target never held the document';
  return undefined;
}

/** The final outcome once the target answered: superseded and alreadyPresent come from its answer. */
export function settleWrite(plan: WritePlan, sourceStatus: number | undefined, attempts: readonly TargetAttempt[]): void {
  if (plan.skip) return;
  if (!plan.items) {
    if (!plan.versioned) return;
    const targetStatus = attempts[attempts.length - 1]?.statusCode;
    plan.outcome = versionedOutcome(sourceStatus, targetStatus);
    const why = versionedDifference(sourceStatus, targetStatus);
    if (why) plan.detail = why;
    plan.explained = why !== undefined || plan.outcome !== 'replayed';
    return;
  }
  const sent = plan.items.filter((i) => i.sent);
  const statuses = targetItemStatuses(sent.length, attempts);
  sent.forEach((item, j) => {
    item.targetStatus = statuses[j];
    if (item.versioned) item.outcome = versionedOutcome(item.sourceStatus, statuses[j]);
  });
  if (plan.outcome === 'asCaptured') return;
  let outcome: WriteOutcome = 'replayed';
  for (const item of plan.items) if (NOTABILITY[item.outcome] > NOTABILITY[outcome]) outcome = item.outcome;
  plan.outcome = outcome;
}

/** The `bulkItems` of a tuple, as JSON. */
export function bulkItemsJson(items: readonly PlannedItem[]): string {
  let out = '[';
  for (let i = 0; i < items.length; i++) {
    const it = items[i];
    out += `${i ? ',' : ''}{"outcome":"${it.outcome}","sourceStatus":${it.sourceStatus ?? 'null'},"targetStatus":${it.targetStatus ?? 'null'}}`;
  }
  return `${out}]`;
}
