/*
 * JSON paths as the report writes and matches them.
 *
 * A concrete path names one value: `hits.hits[3]._source.title`, `aggregations.tags.buckets[key=t1]`.
 * Its shape drops what varies from answer to answer (indices, bucket keys): `hits.hits[]._source.title`.
 * A pattern matches shapes: segments split on "." (and before "[]"), where `*` is any one key,
 * `[]` any array element and `**` any number of segments (none included). Keys that hold a dot or
 * a bracket are written as ["a.b"].
 */

/** One step into a value: an object key, or ARRAY for an array element. */
export type Segment = string;
export const ARRAY: Segment = '[]';

const PLAIN_KEY = /^[A-Za-z0-9_@$#:\-*]+$/;

function keyText(key: string): string {
  return PLAIN_KEY.test(key) ? key : `[${JSON.stringify(key)}]`;
}

/** A concrete path's text; `element` names each array step (its index or its key). */
export function pathText(segments: readonly Segment[], elements: readonly (string | undefined)[]): string {
  let out = '';
  segments.forEach((s, i) => {
    if (s === ARRAY) out += `[${elements[i] ?? ''}]`;
    else {
      const k = keyText(s);
      out += out === '' || k.startsWith('[') ? k : `.${k}`;
    }
  });
  return out;
}

/** The shape of a path: array steps without their index. */
export function shapeText(segments: readonly Segment[]): string {
  return pathText(segments, []);
}

/** Parses a pattern (or a shape) into segments; throws on a malformed one. */
export function parsePattern(text: string): Segment[] {
  const out: Segment[] = [];
  let i = 0;
  const s = text.trim();
  while (i < s.length) {
    if (s[i] === '.') {
      i++;
      continue;
    }
    if (s[i] === '[') {
      if (s[i + 1] === ']') {
        out.push(ARRAY);
        i += 2;
        continue;
      }
      if (s[i + 1] === '"') {
        const end = s.indexOf('"]', i + 2);
        if (end < 0) throw new Error(`unclosed ["..."] in "${text}"`);
        out.push(JSON.parse(s.slice(i + 1, end + 1)));
        i = end + 2;
        continue;
      }
      // [3] or [key=x] in a concrete path: an array element.
      const end = s.indexOf(']', i);
      if (end < 0) throw new Error(`unclosed [ in "${text}"`);
      out.push(ARRAY);
      i = end + 1;
      continue;
    }
    let j = i;
    while (j < s.length && s[j] !== '.' && s[j] !== '[') j++;
    out.push(s.slice(i, j));
    i = j;
  }
  return out;
}

/** A set of positions in a PathMatcher's patterns, with its transitions filled in as they are used. */
export class MatchState {
  /** Next states by the literal keys the patterns name here; any other key goes to `other`. */
  readonly byKey = new Map<string, MatchState>();
  array?: MatchState;
  other?: MatchState;

  constructor(
    /** (pattern index << 8 | position), sorted. */
    readonly codes: readonly number[],
    readonly covered: boolean,
    /** The literal keys some pattern expects next from here. */
    readonly literals: ReadonlySet<string>,
  ) {}

  get dead(): boolean {
    return this.codes.length === 0;
  }
}

/** No key is this: it stands for "a key no pattern names" when a default transition is built. */
const OTHER_KEY = '\u0000other';

/**
 * A set of patterns compiled to an automaton over segments, built lazily: the diff walk carries a
 * state per value and asks at each step whether the value is covered. States are shared and each
 * remembers its transitions, so a step is one map lookup however many patterns there are; a
 * state that can no longer match is dead, and a value far from every pattern costs nothing.
 */
export class PathMatcher {
  private readonly patterns: Segment[][];
  private readonly states = new Map<string, MatchState>();
  private readonly root: MatchState;

  constructor(patterns: readonly (string | Segment[])[]) {
    this.patterns = patterns.map((p) => (typeof p === 'string' ? parsePattern(p) : p));
    const codes: number[] = [];
    for (let p = 0; p < this.patterns.length; p++) this.close(p, 0, codes);
    this.root = this.intern(codes);
  }

  get size(): number {
    return this.patterns.length;
  }

  /** The state at the root: every pattern at its start. */
  start(): MatchState {
    return this.root;
  }

  /** The state after one more step. */
  step(state: MatchState, segment: Segment): MatchState {
    if (state.dead) return state;
    if (segment === ARRAY) return (state.array ??= this.compute(state, ARRAY));
    if (state.literals.has(segment)) {
      let next = state.byKey.get(segment);
      if (!next) state.byKey.set(segment, (next = this.compute(state, segment)));
      return next;
    }
    return (state.other ??= this.compute(state, OTHER_KEY));
  }

  /** Whether a pattern ends here: the value (and all below it) is covered. */
  covered(state: MatchState): boolean {
    return state.covered;
  }

  /** Whether a whole concrete path (or shape) is covered. */
  matches(path: string | Segment[]): boolean {
    let state = this.start();
    if (state.covered) return true;
    for (const seg of typeof path === 'string' ? parsePattern(path) : path) {
      state = this.step(state, seg);
      if (state.covered) return true;
      if (state.dead) return false;
    }
    return false;
  }

  private compute(state: MatchState, segment: Segment): MatchState {
    const next: number[] = [];
    for (const code of state.codes) {
      const p = code >>> 8;
      const pos = code & 0xff;
      const pattern = this.patterns[p];
      if (pos >= pattern.length) continue;
      const want = pattern[pos];
      if (want === '**') this.close(p, pos, next);
      else if (want === segment || (want === '*' && segment !== ARRAY)) this.close(p, pos + 1, next);
    }
    return this.intern(next);
  }

  private intern(codes: number[]): MatchState {
    codes.sort((a, b) => a - b);
    const key = codes.join(',');
    let s = this.states.get(key);
    if (!s) {
      const literals = new Set<string>();
      let covered = false;
      for (const code of codes) {
        const pattern = this.patterns[code >>> 8];
        const pos = code & 0xff;
        if (pos >= pattern.length) covered = true;
        else if (pattern[pos] !== '**' && pattern[pos] !== '*' && pattern[pos] !== ARRAY) literals.add(pattern[pos]);
      }
      s = new MatchState(codes, covered, literals);
      this.states.set(key, s);
    }
    return s;
  }

  /** Adds pattern p at pos, and past any `**` there (it matches no segment too). */
  private close(p: number, pos: number, into: number[]): void {
    const code = (p << 8) | pos;
    if (into.includes(code)) return;
    into.push(code);
    if (this.patterns[p][pos] === '**') this.close(p, pos + 1, into);
  }
}
