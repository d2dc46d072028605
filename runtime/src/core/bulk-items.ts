/** One item of a _bulk response: what the cluster did with one action. */
export interface BulkItemResult {
  /** The action's name as answered: index, create, update or delete. */
  op: string;
  status: number;
  id?: string;
  version?: number;
  /** created, updated, deleted, not_found, noop. */
  result?: string;
  /** The error's type and reason, when the item failed. */
  errorType?: string;
  errorReason?: string;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPS = ['index', 'create', 'update', 'delete'];
const RESULTS = ['created', 'updated', 'deleted', 'not_found', 'noop'];

/**
 * A walk over a _bulk response (read as latin1: one char per byte, no decoding) that takes, per
 * item, only `_id`, `_version`, `status`, `result` and the error's `type` and `reason`: keys are
 * compared in place, numbers read digit by digit, known words not sliced, and `_shards`,
 * `_index` or `_seq_no` never become values (bench/bulk-items.ts measures it against
 * JSON.parse). Throws a SyntaxError on anything that is not JSON.
 */
class BulkScan {
  pos = 0;

  constructor(private readonly s: string) {}

  fail(what: string): never {
    throw new SyntaxError(`${what} at ${this.pos}`);
  }

  ws(): void {
    const s = this.s;
    let p = this.pos;
    for (;;) {
      const c = s.charCodeAt(p);
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
      p++;
    }
    this.pos = p;
  }

  expect(c: number): void {
    this.ws();
    if (this.s.charCodeAt(this.pos) !== c) this.fail(`expected ${String.fromCharCode(c)}`);
    this.pos++;
  }

  /** After whitespace: true and past it when the next char is c. */
  take(c: number): boolean {
    this.ws();
    if (this.s.charCodeAt(this.pos) !== c) return false;
    this.pos++;
    return true;
  }

  /** The end (past the closing quote) of the string that starts at `start`. */
  stringEnd(start: number): number {
    const s = this.s;
    let j = start + 1;
    for (;;) {
      const q = s.indexOf('"', j);
      if (q < 0) this.fail('unterminated string');
      let k = q - 1;
      while (s.charCodeAt(k) === BACKSLASH) k--;
      if ((q - 1 - k) % 2 === 0) return q + 1;
      j = q + 1;
    }
  }

  /** A string value (after whitespace), decoded from UTF-8; undefined (skipped) for another kind of value. */
  string(): string | undefined {
    this.ws();
    const start = this.pos;
    if (this.s.charCodeAt(start) !== QUOTE) {
      this.skip();
      return undefined;
    }
    const end = this.stringEnd(start);
    this.pos = end;
    let raw = this.s.slice(start + 1, end - 1);
    if (/[\u0080-\uffff]/.test(raw)) raw = Buffer.from(raw, 'latin1').toString('utf8');
    return raw.includes('\\') ? (JSON.parse(`"${raw}"`) as string) : raw;
  }

  /** One of the given words when the string value is one, else the value as string() reads it. */
  word(words: readonly string[]): string | undefined {
    this.ws();
    const start = this.pos;
    for (const w of words) {
      if (this.s.charCodeAt(start + w.length + 1) === QUOTE && this.s.startsWith(w, start + 1) && this.s.charCodeAt(start) === QUOTE) {
        this.pos = start + w.length + 2;
        return w;
      }
    }
    return this.string();
  }

  /** A number value read digit by digit (NaN for anything but an integer). */
  number(): number {
    this.ws();
    const s = this.s;
    let p = this.pos;
    const negative = s.charCodeAt(p) === 0x2d;
    if (negative) p++;
    let n = 0;
    const digitsFrom = p;
    for (;;) {
      const c = s.charCodeAt(p);
      if (c < 0x30 || c > 0x39) break;
      n = n * 10 + (c - 0x30);
      p++;
    }
    const c = s.charCodeAt(p);
    if (p === digitsFrom || c === 0x2e || c === 0x65 || c === 0x45) {
      this.skip();
      return Number.NaN;
    }
    this.pos = p;
    return negative ? -n : n;
  }

  /** Skips one value of any kind. */
  skip(): void {
    this.ws();
    const s = this.s;
    const c = s.charCodeAt(this.pos);
    if (c === QUOTE) {
      this.pos = this.stringEnd(this.pos);
      return;
    }
    if (c === 0x7b || c === 0x5b) {
      let depth = 0;
      for (let p = this.pos; p < s.length; p++) {
        const d = s.charCodeAt(p);
        if (d === QUOTE) p = this.stringEnd(p) - 1;
        else if (d === 0x7b || d === 0x5b) depth++;
        else if (d === 0x7d || d === 0x5d) {
          if (--depth === 0) {
            this.pos = p + 1;
            return;
          }
        }
      }
      this.fail('unterminated container');
    }
    let p = this.pos;
    while (p < s.length) {
      const d = s.charCodeAt(p);
      if (d === 0x2c || d === 0x7d || d === 0x5d || d === 0x20 || d === 0x0a || d === 0x0d || d === 0x09) break;
      p++;
    }
    if (p === this.pos) this.fail('expected a value');
    this.pos = p;
  }

  /** A key: pos past its `:`; returns the key's start (after the quote); keyEnd is its end. */
  keyEnd = 0;
  key(): number {
    this.ws();
    const start = this.pos;
    if (this.s.charCodeAt(start) !== QUOTE) this.fail('expected a key');
    const end = this.stringEnd(start);
    this.pos = end;
    this.expect(0x3a);
    this.keyEnd = end - 1;
    return start + 1;
  }

  is(start: number, name: string): boolean {
    return this.keyEnd - start === name.length && this.s.startsWith(name, start);
  }

  /** After a member's value: true when another member follows, false past the closing `}`. */
  more(): boolean {
    if (this.take(0x2c)) return true;
    this.expect(0x7d);
    return false;
  }

  item(): BulkItemResult {
    this.expect(0x7b);
    const os = this.key();
    const op = OPS.find((o) => this.is(os, o)) ?? this.s.slice(os, this.keyEnd);
    const item: BulkItemResult = { op, status: 0 };
    this.expect(0x7b);
    if (!this.take(0x7d)) {
      do {
        const k = this.key();
        const n = this.keyEnd - k;
        if (n === 6 && this.is(k, 'status')) item.status = this.number();
        else if (n === 3 && this.is(k, '_id')) item.id = this.string();
        else if (n === 8 && this.is(k, '_version')) item.version = this.number();
        else if (n === 6 && this.is(k, 'result')) item.result = this.word(RESULTS);
        else if (n === 5 && this.is(k, 'error')) this.error(item);
        else this.skip();
      } while (this.more());
    }
    this.expect(0x7d);
    return item;
  }

  error(item: BulkItemResult): void {
    item.errorType = 'unknown';
    if (!this.take(0x7b)) {
      this.skip();
      return;
    }
    if (this.take(0x7d)) return;
    do {
      const k = this.key();
      if (this.is(k, 'type')) item.errorType = this.string() ?? 'unknown';
      else if (this.is(k, 'reason')) item.errorReason = this.string();
      else this.skip();
    } while (this.more());
  }

  /** The items list of the response object, or undefined when it has none. */
  response(): BulkItemResult[] | undefined {
    let items: BulkItemResult[] | undefined;
    this.expect(0x7b);
    if (this.take(0x7d)) return undefined;
    do {
      const k = this.key();
      if (!this.is(k, 'items')) {
        this.skip();
        continue;
      }
      this.expect(0x5b);
      const list: BulkItemResult[] = [];
      if (!this.take(0x5d)) {
        do list.push(this.item());
        while (this.take(0x2c));
        this.expect(0x5d);
      }
      items = list;
    } while (this.more());
    return items;
  }
}

/**
 * The items of a _bulk response, in order, or undefined when the body is not a _bulk answer
 * (no `items` list, or not JSON).
 */
export function scanBulkItems(body: Buffer): BulkItemResult[] | undefined {
  try {
    return new BulkScan(body.toString('latin1')).response();
  } catch {
    return undefined;
  }
}
