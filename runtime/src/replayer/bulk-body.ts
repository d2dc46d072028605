/**
 * A _bulk body as the cluster reads it (the grammar of Elasticsearch's and OpenSearch's
 * BulkRequestParser): lines end with `\n`; a blank action line is skipped; `index`, `create` and
 * `update` take the next line as their source, `delete` none; an action whose source line is
 * missing at the end is ignored (the cluster answers one item fewer). Sources stay bytes.
 */
export interface BulkAction {
  op: string;
  meta: Record<string, unknown>;
  /** The action line, without its `\n`. */
  line: Buffer;
  /** The source line (index, create, update), without its `\n`. */
  source?: Buffer;
}

const NL = 0x0a;

function isBlank(buf: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = buf[i];
    if (c !== 0x20 && c !== 0x09 && c !== 0x0d) return false;
  }
  return true;
}

/** The actions of a _bulk body, or undefined when an action line is not `{"<op>": {...}}`. */
export function parseBulkActions(body: Buffer): BulkAction[] | undefined {
  const actions: BulkAction[] = [];
  let from = 0;
  for (;;) {
    const end = body.indexOf(NL, from);
    if (end < 0) return actions;
    if (isBlank(body, from, end)) {
      from = end + 1;
      continue;
    }
    const line = body.subarray(from, end);
    let parsed: unknown;
    try {
      parsed = JSON.parse(line.toString('utf8'));
    } catch {
      return undefined;
    }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return undefined;
    const keys = Object.keys(parsed);
    const meta = (parsed as Record<string, unknown>)[keys[0]];
    if (keys.length !== 1 || !meta || typeof meta !== 'object' || Array.isArray(meta)) return undefined;
    const action: BulkAction = { op: keys[0], meta: meta as Record<string, unknown>, line };
    from = end + 1;
    if (action.op !== 'delete') {
      const sourceEnd = body.indexOf(NL, from);
      if (sourceEnd < 0) return actions;
      action.source = body.subarray(from, sourceEnd);
      from = sourceEnd + 1;
    }
    actions.push(action);
  }
}

const NEWLINE = Buffer.from('\n');

/** A body of the given action lines (each with its source), every line ending in `\n`. */
export function bulkBody(entries: { line: Buffer; source?: Buffer }[]): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    parts.push(e.line, NEWLINE);
    if (e.source) parts.push(e.source, NEWLINE);
  }
  return Buffer.concat(parts);
}
