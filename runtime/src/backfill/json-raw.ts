import { eachElement, eachMember, skipValue, skipWs } from '../core/json-scan';

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
  /** The document's `_version`, when the search asked for it (`version: true`). */
  version?: number;
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
          if (k3 !== '_id' && k3 !== '_routing' && k3 !== '_source' && k3 !== 'sort' && k3 !== '_version') return undefined;
          const e3 = skipValue(text, s3);
          if (k3 === '_source') hit.source = text.slice(s3, e3);
          else if (k3 === '_version') hit.version = Number(text.slice(s3, e3));
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
