import type { Header } from '../../core/http/message';

/** A request as transforms see it: the body with its content-encoding already undone. */
export interface TransformableRequest {
  method: string;
  uri: string;
  headers: Header[];
  body: Buffer;
  /** Set by a transform that replaced the body, so that it is encoded again. */
  bodyChanged?: boolean;
  /** _bulk items a transform left out on purpose (counted in the replay summary). */
  droppedItems?: number;
}

/**
 * Thrown by a transform that deliberately sends nothing for a request (e.g. a type that its
 * mapping routes nowhere): the request is counted and its tuple says why, it is not an error.
 */
export class RequestDropped extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'RequestDropped';
  }
}

export type RequestTransform = (req: TransformableRequest) => TransformableRequest;

export function splitUri(uri: string): { path: string; query: string } {
  const q = uri.indexOf('?');
  return q < 0 ? { path: uri, query: '' } : { path: uri.slice(0, q), query: uri.slice(q + 1) };
}

export function joinUri(path: string, query: string): string {
  return query ? `${path}?${query}` : path;
}

/** The path's segments, without empty ones. */
export function pathSegments(path: string): string[] {
  return path.split('/').filter((s) => s.length > 0);
}

export function parseJsonBody(req: TransformableRequest): any {
  if (!req.body.length) return undefined;
  try {
    return JSON.parse(req.body.toString('utf8'));
  } catch {
    return undefined;
  }
}

export function setJsonBody(req: TransformableRequest, value: unknown): void {
  req.body = Buffer.from(JSON.stringify(value));
  req.bodyChanged = true;
}

/**
 * Rewrites the action lines of an NDJSON _bulk body (sources stay byte for byte); `edit` returns
 * the new action object, undefined to keep the line as it was, or null to leave the action (and
 * its source line) out. Returns how many actions were left out.
 */
export function rewriteBulkActions(req: TransformableRequest, edit: (action: Record<string, any>) => Record<string, any> | undefined | null): number {
  const lines: (string | null)[] = req.body.toString('utf8').split('\n');
  let changed = false;
  let dropped = 0;
  let expectSource = false;
  let dropSource = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (!line.trim()) continue;
    if (expectSource) {
      expectSource = false;
      if (dropSource) lines[i] = null;
      continue;
    }
    let action: Record<string, any>;
    try {
      action = JSON.parse(line);
    } catch {
      continue;
    }
    const op = Object.keys(action)[0];
    expectSource = op !== 'delete';
    const edited = edit(action);
    dropSource = edited === null;
    if (edited === null) {
      lines[i] = null;
      dropped++;
      changed = true;
    } else if (edited) {
      lines[i] = JSON.stringify(edited);
      changed = true;
    }
  }
  if (changed) {
    req.body = Buffer.from(lines.filter((l) => l !== null).join('\n'));
    req.bodyChanged = true;
  }
  return dropped;
}
