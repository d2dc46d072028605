import { ARRAY, MatchState, PathMatcher, pathText, Segment, shapeText } from './json-path';

/** One place where the two answers differ. */
export interface Difference {
  /** The concrete path, e.g. `hits.hits[2]._source.title`; `(status)` for the status code, `(body)` for a text body. */
  path: string;
  /** The path without array positions, e.g. `hits.hits[]._source.title`: what noise rules and learned noise name. */
  shape: string;
  /** The values, shortened for people; `(absent)` where one side has nothing. */
  source: string;
  target: string;
}

export interface DiffOptions {
  /** Paths that differ by nature (took, _shards...), skipped with everything below them. */
  noise: PathMatcher;
  /** Two non-integer numbers within this relative distance are the same. */
  floatTolerance: number;
  /** Stop after this many differences: enough to show, and a bound on work for hostile input. */
  limit: number;
}

export const ABSENT = '(absent)';

/** A value as a short string for a report line. */
export function preview(value: unknown, max = 160): string {
  if (value === undefined) return ABSENT;
  const text = typeof value === 'string' ? JSON.stringify(value) : JSON.stringify(value) ?? String(value);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

export function numbersEqual(a: number, b: number, tolerance: number): boolean {
  if (a === b) return true;
  if (!Number.isFinite(a) || !Number.isFinite(b) || (Number.isInteger(a) && Number.isInteger(b))) return false;
  return Math.abs(a - b) <= tolerance * Math.max(Math.abs(a), Math.abs(b));
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Aggregation buckets are matched by their key, not their position. */
function bucketKey(v: unknown): string | undefined {
  if (!isObject(v) || !('key' in v)) return undefined;
  return String(v.key_as_string ?? (typeof v.key === 'object' ? JSON.stringify(v.key) : v.key));
}

/**
 * A structural diff of two JSON values: objects key by key, arrays position by position (arrays
 * of buckets key by key), numbers with a relative tolerance, noise skipped. Appends to `out`.
 */
export class JsonDiff {
  constructor(private readonly opts: DiffOptions) {}

  diff(a: unknown, b: unknown, out: Difference[] = [], at: { segments: Segment[]; elements: (string | undefined)[]; state?: MatchState } = { segments: [], elements: [] }): Difference[] {
    const state = at.state ?? this.opts.noise.start();
    if (this.opts.noise.covered(state)) return out;
    this.walk(a, b, at.segments, at.elements, state, out);
    return out;
  }

  private push(out: Difference[], segments: Segment[], elements: (string | undefined)[], a: unknown, b: unknown): void {
    if (out.length >= this.opts.limit) return;
    out.push({ path: pathText(segments, elements) || '(root)', shape: shapeText(segments) || '(root)', source: preview(a), target: preview(b) });
  }

  private walk(a: unknown, b: unknown, segs: Segment[], elems: (string | undefined)[], state: MatchState, out: Difference[]): void {
    if (out.length >= this.opts.limit) return;
    if (a === b) return;
    if (typeof a === 'number' && typeof b === 'number') {
      if (!numbersEqual(a, b, this.opts.floatTolerance)) this.push(out, segs, elems, a, b);
      return;
    }
    if (Array.isArray(a) && Array.isArray(b)) return this.walkArrays(a, b, segs, elems, state, out);
    if (isObject(a) && isObject(b)) {
      for (const k of Object.keys(a)) this.child(a[k], Object.hasOwn(b, k) ? b[k] : undefined, k, segs, elems, state, out);
      for (const k of Object.keys(b)) if (!Object.hasOwn(a, k)) this.child(undefined, b[k], k, segs, elems, state, out);
      return;
    }
    this.push(out, segs, elems, a, b);
  }

  private child(a: unknown, b: unknown, key: Segment, segs: Segment[], elems: (string | undefined)[], state: MatchState, out: Difference[], element?: string): void {
    const next = this.opts.noise.step(state, key);
    if (this.opts.noise.covered(next)) return;
    segs.push(key);
    elems.push(element);
    if (a === undefined || b === undefined) this.push(out, segs, elems, a, b);
    else this.walk(a, b, segs, elems, next, out);
    segs.pop();
    elems.pop();
  }

  private walkArrays(a: unknown[], b: unknown[], segs: Segment[], elems: (string | undefined)[], state: MatchState, out: Difference[]): void {
    if (segs[segs.length - 1] === 'buckets' && a.every((v) => bucketKey(v) !== undefined) && b.every((v) => bucketKey(v) !== undefined)) {
      const byKey = new Map(b.map((v) => [bucketKey(v)!, v]));
      const seen = new Set<string>();
      for (const v of a) {
        const k = bucketKey(v)!;
        seen.add(k);
        this.child(v, byKey.get(k), ARRAY, segs, elems, state, out, `key=${k}`);
      }
      for (const v of b) if (!seen.has(bucketKey(v)!)) this.child(undefined, v, ARRAY, segs, elems, state, out, `key=${bucketKey(v)}`);
      return;
    }
    const n = Math.max(a.length, b.length);
    for (let i = 0; i < n; i++) this.child(i < a.length ? a[i] : undefined, i < b.length ? b[i] : undefined, ARRAY, segs, elems, state, out, String(i));
  }
}
