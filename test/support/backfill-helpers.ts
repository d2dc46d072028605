import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

export const DOCUMENTS_CLI = join(__dirname, '../../runtime/dist/backfill/documents-cli.js');
export const METADATA_CLI = join(__dirname, '../../runtime/dist/backfill/metadata-cli.js');

export async function es(base: string, method: string, path: string, body?: unknown): Promise<any> {
  const isNdjson = typeof body === 'string';
  const res = await fetch(`${base}${path}`, { method, headers: { 'content-type': isNdjson ? 'application/x-ndjson' : 'application/json' }, body: body === undefined ? undefined : isNdjson ? body : JSON.stringify(body) });
  const text = await res.text();
  const parsed = text ? JSON.parse(text) : undefined;
  if (res.status >= 300 && method !== 'HEAD') throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 300)}`);
  return parsed;
}

/** Indexes docs in _bulk requests of 5000; each doc may carry a routing. */
export async function bulkLoad(base: string, index: string, docs: { id: string; routing?: string; source: unknown }[]): Promise<void> {
  for (let i = 0; i < docs.length; i += 5000) {
    const body = docs
      .slice(i, i + 5000)
      .map((d) => `${JSON.stringify({ index: { _index: index, _id: d.id, ...(d.routing ? { routing: d.routing } : {}) } })}\n${JSON.stringify(d.source)}\n`)
      .join('');
    const res = await es(base, 'POST', '/_bulk', body);
    if (res.errors) throw new Error(`bulk load into ${index} failed: ${JSON.stringify(res.items.find((it: any) => it.index.error))}`);
  }
  await es(base, 'POST', `/${index}/_refresh`);
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function startCli(cli: string, args: string[], env: Record<string, string> = {}): { child: ChildProcess; done: Promise<RunResult> } {
  const child = spawn(process.execPath, [cli, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const done = new Promise<RunResult>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { child, done };
}

export function runCli(cli: string, args: string[], env: Record<string, string> = {}): Promise<RunResult> {
  return startCli(cli, args, env).done;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
