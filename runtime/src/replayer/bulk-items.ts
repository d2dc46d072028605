import { eachElement, eachMember, skipValue, stringAt } from '../core/json-scan';

/** One item of a _bulk response: what the cluster did with one action. */
export interface BulkItemResult {
  /** The action's name as answered: index, create, update or delete. */
  op: string;
  status: number;
  id?: string;
  version?: number;
  /** created, updated, deleted, not_found, noop. */
  result?: string;
  /** The error's type, when the item failed. */
  errorType?: string;
}

/** Only what the replayer needs of an item; `_shards`, `_index`, `_seq_no` and error details are skipped. */
function readItem(text: string, start: number, out: BulkItemResult[]): number {
  return eachMember(text, start, (op, valueStart) => {
    const item: BulkItemResult = { op, status: 0 };
    out.push(item);
    return eachMember(text, valueStart, (key, s) => {
      if (key === 'status' || key === '_version') {
        const end = skipValue(text, s);
        const n = Number(text.slice(s, end));
        if (key === 'status') item.status = n;
        else item.version = n;
        return end;
      }
      if (key === '_id' || key === 'result') {
        const end = skipValue(text, s);
        if (text.charCodeAt(s) !== 0x22) return end;
        if (key === 'result') item.result = stringAt(text, s, end);
        else item.id = utf8StringAt(text, s, end);
        return end;
      }
      if (key === 'error') {
        item.errorType = 'unknown';
        return eachMemberOrSkip(text, s, (k, vs) => {
          if (k !== 'type') return undefined;
          const end = skipValue(text, vs);
          if (text.charCodeAt(vs) === 0x22) item.errorType = stringAt(text, vs, end);
          return end;
        });
      }
      return undefined;
    });
  });
}

/**
 * The text is the body read as latin1 (one char per byte, no decoding): a string beyond ASCII is
 * decoded as UTF-8 before its escapes are read.
 */
function utf8StringAt(text: string, start: number, end: number): string {
  const raw = text.slice(start, end);
  if (!/[\u0080-\uffff]/.test(raw)) return stringAt(raw, 0, raw.length);
  const decoded = Buffer.from(raw, 'latin1').toString('utf8');
  return stringAt(decoded, 0, decoded.length);
}

function eachMemberOrSkip(text: string, start: number, onEntry: (key: string, valueStart: number) => number | undefined): number {
  return text.charCodeAt(start) === 0x7b ? eachMember(text, start, onEntry) : skipValue(text, start);
}

/**
 * The items of a _bulk response, in order, or undefined when the body is not a _bulk answer
 * (no `items` list, or not JSON). Scans the text instead of JSON.parse: no object per `_shards`,
 * `_index` or `_seq_no` (see bench/bulk-items.ts for the measured difference).
 */
export function scanBulkItems(body: Buffer): BulkItemResult[] | undefined {
  const text = body.toString('latin1');
  let items: BulkItemResult[] | undefined;
  try {
    eachMember(text, 0, (key, start) => {
      if (key !== 'items') return undefined;
      const list: BulkItemResult[] = [];
      const end = eachElement(text, start, (itemStart) => readItem(text, itemStart, list));
      items = list;
      return end;
    });
  } catch {
    return undefined;
  }
  return items;
}
