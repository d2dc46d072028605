import type { RequestClass } from './classify';
import { Body, bodyOf, Exchange, Outcome, Side } from './exchange';
import { ABSENT, Difference, JsonDiff, preview } from './json-diff';
import { ARRAY, MatchState, PathMatcher, pathText, Segment, shapeText } from './json-path';
import { CompiledRule } from './noise-rules';

export type VerdictKind = 'same' | 'expected' | 'different';

/** Why a difference is expected: a code for scripts, a sentence for people. */
export const EXPECTED_REASONS = {
  superseded: 'the target already held this version of the document or a newer one',
  alreadyPresent: 'the target already held the document (the backfill copied it first)',
  notYetCopied: 'the source updated a document the target did not hold yet, so the target created it (the backfill had not copied it)',
  alreadyAbsent: 'the document or index was already absent on the target',
  sourceRefused: 'the source refused it, so it was not replayed',
  indexExists: 'the index already existed on the target (the metadata migration created it)',
  foreignScroll: 'a scroll id belongs to the cluster that issued it',
  noSourceResponse: 'the capture holds no answer from the source to compare with',
} as const;

export type ExpectedReason = keyof typeof EXPECTED_REASONS;

export interface Verdict {
  verdict: VerdictKind;
  /** For expected: why. */
  reason?: ExpectedReason;
  /** More about the reason or the difference (the replayer's outcome detail, item counts). */
  detail?: string;
  /** For different: where the answers differ. */
  differences: Difference[];
}

export interface CompareOptions {
  rules: readonly CompiledRule[];
  /** Relative tolerance for non-integer numbers. @default 1e-6 */
  floatTolerance?: number;
  /** Differences kept per request. @default 20 */
  limit?: number;
}

const OUTCOME_REASONS: Partial<Record<Outcome, ExpectedReason>> = { superseded: 'superseded', alreadyPresent: 'alreadyPresent', sourceRefused: 'sourceRefused' };

const same = (): Verdict => ({ verdict: 'same', differences: [] });
const expected = (reason: ExpectedReason, detail?: string): Verdict => ({ verdict: 'expected', reason, detail, differences: [] });
const different = (differences: Difference[], detail?: string): Verdict => ({ verdict: 'different', differences, detail });

function statusDifference(a: number | undefined, b: number | undefined): Difference {
  return { path: '(status)', shape: '(status)', source: a === undefined ? ABSENT : String(a), target: b === undefined ? ABSENT : String(b) };
}

function jsonOf(b: Body): unknown {
  return b.kind === 'json' ? b.value : undefined;
}

function obj(v: unknown): Record<string, unknown> | undefined {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

function errorType(v: unknown): string | undefined {
  const e = obj(v)?.error;
  if (typeof e === 'string') return e;
  const t = obj(e)?.type;
  return typeof t === 'string' ? t : undefined;
}

/**
 * Compares the two answers to one request. Holds the compiled noise per set of matching rules,
 * so that a report over many requests compiles each set once.
 */
export class Comparator {
  private readonly matchers = new Map<string, PathMatcher>();
  private readonly tolerance: number;
  private readonly limit: number;

  constructor(private readonly opts: CompareOptions) {
    this.tolerance = opts.floatTolerance ?? 1e-6;
    this.limit = opts.limit ?? 20;
  }

  /** The verdict on one exchange, before any learned noise. */
  compare(ex: Exchange, cls: RequestClass): Verdict {
    const reason = ex.outcome ? OUTCOME_REASONS[ex.outcome] : undefined;
    // A _bulk's outcome names only its most notable item: with an answer, its items are judged one by one.
    const itemwise = cls === 'bulk' && ex.bulkItems !== undefined && ex.target !== undefined;
    if (reason && !itemwise) return expected(reason, ex.outcomeDetail);
    if (!ex.target) return different([statusDifference(ex.source?.status, undefined)], ex.error ? `no answer from the target: ${ex.error}` : 'no answer from the target');
    if (!ex.source) return expected('noSourceResponse');
    if (ex.source.status !== ex.target.status) {
      const explained = this.explainStatus(ex, cls);
      if (explained) return explained;
      const body = jsonOf(bodyOf(ex.target.message));
      const type = errorType(body);
      const reason = obj(obj(body)?.error)?.reason;
      return different([statusDifference(ex.source.status, ex.target.status)], type ? `the target said ${type}${typeof reason === 'string' ? `: ${reason.slice(0, 200)}` : ''}` : undefined);
    }
    // The same bytes answer the same: nothing to parse.
    const [sb, tb] = [ex.source.message.body, ex.target.message.body];
    if (typeof sb === 'string' && sb === tb && ex.source.message.payload === undefined && ex.target.message.payload === undefined) return same();
    if (cls === 'bulk') return this.compareBulk(ex);
    const diffs = this.diffAnswers(ex, cls, ex.source, ex.target);
    return diffs.length ? different(diffs) : same();
  }

  /**
   * Where two answers to the same request differ, after noise: the target's against the
   * source's, or (for learned noise) the source's against the source's own second answer.
   */
  diffAnswers(ex: Exchange, cls: RequestClass, a: Side, b: Side): Difference[] {
    if (ex.method === 'HEAD') return [];
    const versioned = ex.outcome === 'replayed';
    const matcher = this.matcherFor(ex, cls, versioned);
    const differ = new JsonDiff({ noise: matcher, floatTolerance: this.tolerance, limit: this.limit });
    const ab = bodyOf(a.message);
    const bb = bodyOf(b.message);
    const out: Difference[] = [];
    if (ab.kind !== 'json' || bb.kind !== 'json') {
      if (matcher.covered(matcher.start())) return out;
      const text = (x: Body) => (x.kind === 'text' ? x.text : x.kind === 'json' ? JSON.stringify(x.value) : x.kind === 'ndjson' ? x.values.map((v) => JSON.stringify(v)).join('\n') : x.kind === 'binary' ? `<${x.bytes} bytes>` : '');
      if (ab.kind !== bb.kind || text(ab) !== text(bb)) out.push({ path: '(body)', shape: '(body)', source: preview(text(ab)), target: preview(text(bb)) });
      return out;
    }
    // Both refused the request the same way: the error's type is what matters, not its wording.
    if (a.status >= 400 && b.status >= 400) {
      const [ta, tb] = [errorType(ab.value), errorType(bb.value)];
      if (ta !== tb) out.push({ path: 'error.type', shape: 'error.type', source: preview(ta), target: preview(tb) });
      return out;
    }
    if (cls === 'bulk') return this.bulkItemDiffs(ex, ab.value, bb.value, matcher, differ).differences;
    if (cls === 'search' && /\/_msearch(\/template)?$/.test(ex.path)) {
      const bodies = this.msearchBodies(ex);
      const [ra, rb] = [obj(ab.value)?.responses, obj(bb.value)?.responses];
      if (Array.isArray(ra) && Array.isArray(rb)) {
        differ.diff(omit(ab.value, ['responses']), omit(bb.value, ['responses']), out);
        if (ra.length !== rb.length) out.push({ path: 'responses', shape: 'responses', source: `${ra.length} responses`, target: `${rb.length} responses` });
        const base = matcher.step(matcher.step(matcher.start(), 'responses'), ARRAY);
        for (let i = 0; i < Math.min(ra.length, rb.length); i++) this.searchDiffs(bodies[i], ex.query, ra[i], rb[i], differ, matcher, out, ['responses', ARRAY], [undefined, String(i)], base);
        return out;
      }
    }
    if ((cls === 'search' || cls === 'scroll') && obj(obj(ab.value)?.hits) && obj(obj(bb.value)?.hits)) {
      this.searchDiffs(jsonOf(bodyOf(ex.request)), ex.query, ab.value, bb.value, differ, matcher, out, [], [], matcher.start());
      return out;
    }
    return differ.diff(ab.value, bb.value, out);
  }

  /** The noise for a request: its matching rules, `_version` too unless the replay was versioned. */
  private matcherFor(ex: Exchange, cls: RequestClass, versioned: boolean): PathMatcher {
    const matching: number[] = [];
    this.opts.rules.forEach((r, i) => {
      if ((!r.rule.class || r.rule.class === cls) && (!r.method || r.method.test(ex.method)) && (!r.path || r.path.test(ex.path))) matching.push(i);
    });
    const key = `${versioned ? 'v' : 'u'}${matching.join(',')}`;
    let m = this.matchers.get(key);
    if (!m) {
      const patterns = matching.flatMap((i) => this.opts.rules[i].rule.ignore);
      m = new PathMatcher(versioned ? patterns : [...patterns, '**._version']);
      this.matchers.set(key, m);
    }
    return m;
  }

  /** Status codes that differ for a reason the migration explains. */
  private explainStatus(ex: Exchange, cls: RequestClass): Verdict | undefined {
    const [s, t] = [ex.source!.status, ex.target!.status];
    const target = jsonOf(bodyOf(ex.target!.message));
    if (cls === 'write') {
      if (s === 201 && t === 200 && obj(target)?.result === 'updated') return expected('alreadyPresent', 'inferred: 201 created on the source, 200 updated on the target');
      if (s === 200 && t === 201 && obj(target)?.result === 'created') return expected('notYetCopied', 'inferred: 200 updated on the source, 201 created on the target');
      if (ex.method === 'DELETE' && s === 200 && t === 404) return expected('alreadyAbsent', 'inferred: deleted on the source, not found on the target');
    }
    if (cls === 'scroll' && t >= 400) return expected('foreignScroll', `the target answered ${t} to the source's scroll id`);
    const oneSegment = /^\/[^/_][^/]*\/?$/.test(ex.path);
    if (cls === 'admin' && oneSegment && ex.method === 'PUT' && s < 300 && errorType(target) === 'resource_already_exists_exception') return expected('indexExists');
    if (cls === 'admin' && oneSegment && ex.method === 'DELETE' && s < 300 && t === 404) return expected('alreadyAbsent', 'inferred: the index was not on the target');
    return undefined;
  }

  private compareBulk(ex: Exchange): Verdict {
    const sb = jsonOf(bodyOf(ex.source!.message));
    const tb = jsonOf(bodyOf(ex.target!.message));
    const matcher = this.matcherFor(ex, 'bulk', false);
    const r = this.bulkItemDiffs(ex, sb, tb, matcher, new JsonDiff({ noise: matcher, floatTolerance: this.tolerance, limit: this.limit }));
    if (r.differences.length) return different(r.differences, [...r.notes, ...(r.expected.size ? [describeItems(r.expected)] : [])].join('; ') || undefined);
    if (r.expected.size) {
      const [reason] = [...r.expected.entries()].sort((x, y) => y[1] - x[1])[0];
      return expected(reason, describeItems(r.expected));
    }
    return same();
  }

  /** _bulk item by item: status and error type; the replayer's per-item outcomes first. */
  private bulkItemDiffs(ex: Exchange, sourceBody: unknown, targetBody: unknown, matcher: PathMatcher, differ: JsonDiff): { differences: Difference[]; expected: Map<ExpectedReason, number>; notes: string[] } {
    const out: Difference[] = [];
    // Which document each differing item is about, for the reader: `item 3 (index logs/abc)`.
    const notes: string[] = [];
    const expectedItems = new Map<ExpectedReason, number>();
    const count = (r: ExpectedReason) => expectedItems.set(r, (expectedItems.get(r) ?? 0) + 1);
    const si = bulkItems(sourceBody);
    const ti = bulkItems(targetBody);
    if (!si || !ti) {
      differ.diff(sourceBody, targetBody, out);
      return { differences: out, expected: expectedItems, notes };
    }
    const push = (i: number, action: string, field: string, a: unknown, b: unknown, doc: BulkItem | undefined) => {
      if (out.length >= this.limit) return;
      const shape = `items[].${action}.${field}`;
      if (matcher.matches(shape)) return;
      out.push({ path: `items[${i}].${action}.${field}`, shape, source: preview(a), target: preview(b) });
      if (notes.length < 5) notes.push(`item ${i} (${action}${doc?.index || doc?.id ? ` ${doc.index ?? '?'}/${doc.id ?? '?'}` : ''}): ${field} ${preview(a)} on the source, ${preview(b)} on the target`);
    };
    const outcomes = ex.bulkItems;
    // With the replayer's outcomes, the target's items are the replayed ones, in order.
    let k = 0;
    const n = outcomes ? outcomes.length : Math.max(si.length, ti.length);
    for (let i = 0; i < n; i++) {
      const o = outcomes?.[i];
      const s = si[i];
      const t = outcomes ? (o?.targetStatus === null ? undefined : ti[k++]) : ti[i];
      const reason = o?.outcome ? OUTCOME_REASONS[o.outcome] : undefined;
      if (reason) {
        count(reason);
        continue;
      }
      const sourceStatus = o?.sourceStatus ?? s?.status;
      const targetStatus = o ? (o.targetStatus ?? undefined) : t?.status;
      const action = s?.action ?? t?.action ?? 'item';
      if (sourceStatus !== targetStatus) {
        const writes = action === 'index' || action === 'create' || action === 'update';
        if (sourceStatus === 201 && targetStatus === 200 && writes) count('alreadyPresent');
        else if (sourceStatus === 200 && targetStatus === 201 && writes) count('notYetCopied');
        else if (action === 'delete' && sourceStatus === 200 && targetStatus === 404) count('alreadyAbsent');
        else push(i, action, 'status', sourceStatus, targetStatus, s ?? t);
        continue;
      }
      if (s?.errorType !== t?.errorType) push(i, action, 'error.type', s?.errorType, t?.errorType, s ?? t);
    }
    return { differences: out, expected: expectedItems, notes };
  }

  private msearchBodies(ex: Exchange): unknown[] {
    const req = bodyOf(ex.request, true);
    if (req.kind !== 'ndjson') return [];
    // Header and body lines alternate.
    return req.values.filter((_, i) => i % 2 === 1);
  }

  /** A search answer: hits as ids (ordered only where the sort makes it so), total normalised, the rest structurally. */
  private searchDiffs(reqBody: unknown, query: URLSearchParams, a: unknown, b: unknown, differ: JsonDiff, matcher: PathMatcher, out: Difference[], segs: Segment[], elems: (string | undefined)[], state: MatchState): void {
    const ao = obj(a)!;
    const bo = obj(b)!;
    const ah = obj(ao.hits) ?? {};
    const bh = obj(bo.hits) ?? {};
    differ.diff(omit(ao, ['hits']), omit(bo, ['hits']), out, { segments: [...segs], elements: [...elems], state });
    const hitsState = matcher.step(state, 'hits');
    const where = (...more: Segment[]) => ({ path: pathText([...segs, ...more], [...elems, ...more.map(() => undefined)]), shape: shapeText([...segs, ...more]) });
    differ.diff(omit(ah, ['hits', 'total']), omit(bh, ['hits', 'total']), out, { segments: [...segs, 'hits'], elements: [...elems, undefined], state: hitsState });
    const [ta, tb] = [normalTotal(ah.total), normalTotal(bh.total)];
    const totalState = matcher.step(hitsState, 'total');
    if (!matcher.covered(totalState) && (ta?.value !== tb?.value || ta?.relation !== tb?.relation)) {
      out.push({ ...where('hits', 'total'), source: preview(ta), target: preview(tb) });
    }
    const la = Array.isArray(ah.hits) ? (ah.hits as unknown[]).map(obj).filter((h): h is Record<string, unknown> => !!h) : [];
    const lb = Array.isArray(bh.hits) ? (bh.hits as unknown[]).map(obj).filter((h): h is Record<string, unknown> => !!h) : [];
    const hitState = matcher.step(matcher.step(hitsState, 'hits'), ARRAY);
    const idState = matcher.step(hitState, '_id');
    const deterministic = sortIsDeterministic(reqBody, query);
    const truncated = Math.max(ta?.value ?? 0, tb?.value ?? 0) > Math.min(la.length, lb.length) || ta?.relation === 'gte' || tb?.relation === 'gte';
    if (!matcher.covered(idState) && !matcher.covered(hitState)) {
      const d = compareHitIds(la, lb, deterministic, truncated);
      if (d) out.push({ ...where('hits', 'hits', ARRAY, '_id'), ...d });
    }
    // The hits both sides returned, each against its namesake: _source, fields, highlight...
    const byId = new Map(lb.map((h) => [String(h._id), h]));
    la.forEach((h, i) => {
      const other = byId.get(String(h._id));
      if (!other) return;
      const ignore = deterministic ? ['_id'] : ['_id', 'sort'];
      differ.diff(omit(h, ignore), omit(other, ignore), out, { segments: [...segs, 'hits', 'hits', ARRAY], elements: [...elems, undefined, undefined, String(i)], state: hitState });
    });
  }
}

function omit(v: unknown, keys: string[]): unknown {
  const o = obj(v);
  if (!o) return v;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(o)) if (!keys.includes(k)) out[k] = o[k];
  return out;
}

function describeItems(items: Map<ExpectedReason, number>): string {
  return [...items.entries()].map(([r, n]) => `${n} item${n === 1 ? '' : 's'} ${r}`).join(', ');
}

interface BulkItem {
  action: string;
  status?: number;
  errorType?: string;
  index?: string;
  id?: string;
}

function bulkItems(body: unknown): BulkItem[] | undefined {
  const items = obj(body)?.items;
  if (!Array.isArray(items)) return undefined;
  return items.map((it) => {
    const o = obj(it) ?? {};
    const action = Object.keys(o)[0] ?? 'item';
    const r = obj(o[action]) ?? {};
    const text = (v: unknown) => (typeof v === 'string' ? v : undefined);
    return { action, status: typeof r.status === 'number' ? r.status : undefined, errorType: errorType(r), index: text(r._index), id: text(r._id) };
  });
}

/** ES 7 `{value, relation}`, a bare number (rest_total_hits_as_int, ES 6), or nothing. */
export function normalTotal(t: unknown): { value: number; relation: string } | undefined {
  if (typeof t === 'number') return { value: t, relation: 'eq' };
  const o = obj(t);
  if (o && typeof o.value === 'number') return { value: o.value, relation: typeof o.relation === 'string' ? o.relation : 'eq' };
  return undefined;
}

/** A sort fixes the order of hits when it names fields and neither the score nor the index order. */
export function sortIsDeterministic(reqBody: unknown, query: URLSearchParams): boolean {
  const fields: string[] = [];
  const add = (s: unknown) => {
    if (typeof s === 'string') fields.push(s.split(':')[0]);
    else if (Array.isArray(s)) s.forEach(add);
    else if (obj(s)) fields.push(...Object.keys(s as object));
  };
  const q = query.get('sort');
  if (q) q.split(',').forEach(add);
  add(obj(reqBody)?.sort);
  return fields.length > 0 && !fields.some((f) => f === '_score' || f === '_doc');
}

/**
 * Hit ids compared as tie groups: consecutive hits with the same sort values (the score, when
 * the order is by relevance) are a set. Without a deterministic sort the whole list is a set.
 * A cut-off list compares its last group by size only: which of the tied hits made the cut is
 * up to each cluster.
 */
export function compareHitIds(a: Record<string, unknown>[], b: Record<string, unknown>[], deterministic: boolean, truncated: boolean): { source: string; target: string } | undefined {
  // The usual case, and the cheap one: the same ids in the same order.
  if (a.length === b.length && a.every((h, i) => h._id === b[i]._id)) return undefined;
  const key = (h: Record<string, unknown>) => (deterministic ? JSON.stringify(h.sort ?? null) : String(h._score ?? ''));
  const groups = (hits: Record<string, unknown>[]) => {
    const out: string[][] = [];
    let last: string | undefined;
    for (const h of hits) {
      const k = key(h);
      if (out.length === 0 || k !== last) out.push([]);
      out[out.length - 1].push(String(h._id));
      last = k;
    }
    return out;
  };
  const ga = groups(a);
  const gb = groups(b);
  if (truncated) {
    ga.pop();
    gb.pop();
  }
  // In relevance order the groups' boundaries are each cluster's own scores: compare the ids as one set.
  const seqA = deterministic ? ga : [ga.flat()];
  const seqB = deterministic ? gb : [gb.flat()];
  const onlyA: string[] = [];
  const onlyB: string[] = [];
  let order = false;
  const n = Math.max(seqA.length, seqB.length);
  for (let i = 0; i < n; i++) {
    const sa = new Set(seqA[i] ?? []);
    const sb = new Set(seqB[i] ?? []);
    for (const id of sa) if (!sb.has(id)) onlyA.push(id);
    for (const id of sb) if (!sa.has(id)) onlyB.push(id);
  }
  const allA = new Set(seqA.flat());
  const allB = new Set(seqB.flat());
  const missing = onlyA.filter((id) => !allB.has(id));
  const extra = onlyB.filter((id) => !allA.has(id));
  if (missing.length === 0 && extra.length === 0 && (onlyA.length || onlyB.length)) order = true;
  if (a.length !== b.length && missing.length === 0 && extra.length === 0 && !order) return { source: `${a.length} hits`, target: `${b.length} hits` };
  if (order) return { source: `order ${preview(seqA.flat(), 120)}`, target: `order ${preview(seqB.flat(), 120)}` };
  if (missing.length || extra.length) return { source: missing.length ? `only here: ${preview(missing, 120)}` : '(none missing)', target: extra.length ? `only here: ${preview(extra, 120)}` : '(none extra)' };
  return undefined;
}
