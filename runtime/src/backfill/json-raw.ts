/*
 * Reads search responses without JSON.parse on the documents: each hit's `_source` is kept as the
 * exact text the source returned, so that 64-bit integers, float digits and key order reach the
 * target unchanged (JSON.parse would round 12345678901234567890), and no object is built per field.
 */

export interface RawHit {
  id: string;
  routing?: string;
  /** The `_source` exactly as the cluster returned it. */
  source: string;
  /** The first sort value when the search sorted on a number (the backfill sorts on `_seq_no`). */
  seqNo?: number;
}

const WS = new Set([0x20, 0x0a, 0x0d, 0x09]);

function skipWs(s: string, i: number): number {
  while (i < s.length && WS.has(s.charCodeAt(i))) i++;
  return i;
}

/** Index just past the string that starts at i (a `"`). */
function skipString(s: string, i: number): number {
  let j = i + 1;
  for (;;) {
    const q = s.indexOf('"', j);
    if (q < 0) throw new SyntaxError(`unterminated string at ${i}`);
    let backslashes = 0;
    for (let k = q - 1; s.charCodeAt(k) === 0x5c; k--) backslashes++;
    if (backslashes % 2 === 0) return q + 1;
    j = q + 1;
  }
}

/** Index just past the JSON value that starts at i (after whitespace). */
export function skipValue(s: string, i: number): number {
  i = skipWs(s, i);
  const c = s.charCodeAt(i);
  if (c === 0x22) return skipString(s, i);
  if (c === 0x7b || c === 0x5b) {
    let depth = 0;
    for (let j = i; j < s.length; j++) {
      const d = s.charCodeAt(j);
      if (d === 0x22) j = skipString(s, j) - 1;
      else if (d === 0x7b || d === 0x5b) depth++;
      else if (d === 0x7d || d === 0x5d) {
        if (--depth === 0) return j + 1;
      }
    }
    throw new SyntaxError(`unterminated container at ${i}`);
  }
  let j = i;
  while (j < s.length) {
    const d = s.charCodeAt(j);
    if (d === 0x2c || d === 0x7d || d === 0x5d || WS.has(d)) break;
    j++;
  }
  if (j === i) throw new SyntaxError(`expected a value at ${i}`);
  return j;
}

/** Calls onEntry(key, valueStart) for each member of the object at i; returns the index past it. */
function eachMember(s: string, i: number, onEntry: (key: string, valueStart: number) => number | undefined): number {
  i = skipWs(s, i);
  if (s.charCodeAt(i) !== 0x7b) throw new SyntaxError(`expected an object at ${i}`);
  i = skipWs(s, i + 1);
  if (s.charCodeAt(i) === 0x7d) return i + 1;
  for (;;) {
    const keyEnd = skipString(s, i);
    const key = JSON.parse(s.slice(i, keyEnd)) as string;
    i = skipWs(s, keyEnd);
    if (s.charCodeAt(i) !== 0x3a) throw new SyntaxError(`expected : at ${i}`);
    const valueStart = skipWs(s, i + 1);
    i = skipWs(s, onEntry(key, valueStart) ?? skipValue(s, valueStart));
    const c = s.charCodeAt(i);
    if (c === 0x7d) return i + 1;
    if (c !== 0x2c) throw new SyntaxError(`expected , or } at ${i}`);
    i = skipWs(s, i + 1);
  }
}

function eachElement(s: string, i: number, onElement: (start: number) => number): number {
  i = skipWs(s, i);
  if (s.charCodeAt(i) !== 0x5b) throw new SyntaxError(`expected an array at ${i}`);
  i = skipWs(s, i + 1);
  if (s.charCodeAt(i) === 0x5d) return i + 1;
  for (;;) {
    i = skipWs(s, onElement(i));
    const c = s.charCodeAt(i);
    if (c === 0x5d) return i + 1;
    if (c !== 0x2c) throw new SyntaxError(`expected , or ] at ${i}`);
    i = skipWs(s, i + 1);
  }
}

export interface RawSearchPage {
  hits: RawHit[];
  scrollId?: string;
}

/** The hits of a search (or scroll) response, with raw sources. */
export function parseSearchResponse(text: string): RawSearchPage {
  const hits: RawHit[] = [];
  let scrollId: string | undefined;
  eachMember(text, 0, (key, start) => {
    if (key === '_scroll_id') {
      const end = skipValue(text, start);
      scrollId = JSON.parse(text.slice(start, end));
      return end;
    }
    if (key !== 'hits') return undefined;
    return eachMember(text, start, (k2, start2) => {
      if (k2 !== 'hits') return undefined;
      return eachElement(text, start2, (hitStart) => {
        const hit: RawHit = { id: '', source: '' };
        const end = eachMember(text, hitStart, (k3, s3) => {
          if (k3 !== '_id' && k3 !== '_routing' && k3 !== '_source' && k3 !== 'sort') return undefined;
          const e3 = skipValue(text, s3);
          if (k3 === '_source') hit.source = text.slice(s3, e3);
          else if (k3 === 'sort') {
            const first = (JSON.parse(text.slice(s3, e3)) as unknown[])[0];
            if (typeof first === 'number') hit.seqNo = first;
          }
          else if (k3 === '_id') hit.id = JSON.parse(text.slice(s3, e3));
          else hit.routing = JSON.parse(text.slice(s3, e3));
          return e3;
        });
        hits.push(hit);
        return end;
      });
    });
  });
  return { hits, scrollId };
}

/**
 * One text per JSON value regardless of key order, whitespace and string escapes; number tokens are
 * kept as written (no rounding), so a changed digit is a different document.
 */
export function canonicalJson(text: string): string {
  const out: string[] = [];
  const end = canonicalAt(text, skipWs(text, 0), out);
  if (skipWs(text, end) !== text.length) throw new SyntaxError(`unexpected text at ${end}`);
  return out.join('');
}

function canonicalAt(s: string, i: number, out: string[]): number {
  i = skipWs(s, i);
  const c = s.charCodeAt(i);
  if (c === 0x7b) {
    const members: [string, string][] = [];
    const end = eachMember(s, i, (key, start) => {
      const sub: string[] = [];
      const e = canonicalAt(s, start, sub);
      members.push([key, sub.join('')]);
      return e;
    });
    members.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    out.push('{', members.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(','), '}');
    return end;
  }
  if (c === 0x5b) {
    const items: string[] = [];
    const end = eachElement(s, i, (start) => {
      const sub: string[] = [];
      const e = canonicalAt(s, start, sub);
      items.push(sub.join(''));
      return e;
    });
    out.push('[', items.join(','), ']');
    return end;
  }
  const end = skipValue(s, i);
  out.push(c === 0x22 ? JSON.stringify(JSON.parse(s.slice(i, end))) : s.slice(i, end));
  return end;
}
