/*
 * Walks JSON text without building it: skips values, visits the members of an object and the
 * elements of an array, so that a caller takes only the few fields it needs from a large answer
 * (a search page's sources kept as raw text, a _bulk response's per-item results).
 */

/** Index of the first non-whitespace character at or after i. */
export function skipWs(s: string, i: number): number {
  for (;;) {
    const c = s.charCodeAt(i);
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return i;
    i++;
  }
}

/** Index just past the string that starts at i (a `"`). */
export function skipString(s: string, i: number): number {
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

/** The value of the string literal s[start, end): sliced as it is when it has no escape. */
export function stringAt(s: string, start: number, end: number): string {
  const raw = s.slice(start + 1, end - 1);
  return raw.includes('\\') ? (JSON.parse(s.slice(start, end)) as string) : raw;
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
    if (d === 0x2c || d === 0x7d || d === 0x5d || d === 0x20 || d === 0x0a || d === 0x0d || d === 0x09) break;
    j++;
  }
  if (j === i) throw new SyntaxError(`expected a value at ${i}`);
  return j;
}

/**
 * Calls onEntry(key, valueStart) for each member of the object at i; onEntry returns the index
 * past the value it read, or undefined to have it skipped. Returns the index past the object.
 */
export function eachMember(s: string, i: number, onEntry: (key: string, valueStart: number) => number | undefined): number {
  i = skipWs(s, i);
  if (s.charCodeAt(i) !== 0x7b) throw new SyntaxError(`expected an object at ${i}`);
  i = skipWs(s, i + 1);
  if (s.charCodeAt(i) === 0x7d) return i + 1;
  for (;;) {
    if (s.charCodeAt(i) !== 0x22) throw new SyntaxError(`expected a key at ${i}`);
    const keyEnd = skipString(s, i);
    const key = stringAt(s, i, keyEnd);
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

/** Calls onElement(start) for each element of the array at i (it returns the index past it). */
export function eachElement(s: string, i: number, onElement: (start: number) => number): number {
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
