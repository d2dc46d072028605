/**
 * npm run bench:bulk-items — reading a _bulk response's items (_id, _version, status, error type):
 * the scanner the replayer and the backfill use (core/bulk-items.ts) against JSON.parse, on
 * answers of 5 and 1000 items, all created or with some errors. CPU only, no cluster needed.
 */
import { scanBulkItems } from '../runtime/src/core/bulk-items';

function response(items: number, errorsEvery: number): Buffer {
  const list = Array.from({ length: items }, (_, i) =>
    errorsEvery && i % errorsEvery === 0
      ? { create: { _index: 'logs-2026.12.01', _type: '_doc', _id: `Xq${i}Lm9aBn3QpZ0rT${i}`, status: 400, error: { type: 'mapper_parsing_exception', reason: `failed to parse field [n] of type [integer] in document with id 'Xq${i}'. Preview of field's value: 'abc'`, caused_by: { type: 'number_format_exception', reason: 'For input string: "abc"' } } } }
      : { index: { _index: 'logs-2026.12.01', _type: '_doc', _id: `Xq${i}Lm9aBn3QpZ0rT${i}`, _version: 1, result: 'created', _shards: { total: 2, successful: 1, failed: 0 }, _seq_no: 1000 + i, _primary_term: 1, status: 201 } },
  );
  return Buffer.from(JSON.stringify({ took: 12, errors: errorsEvery > 0, items: list }));
}

function viaJsonParse(body: Buffer) {
  const parsed = JSON.parse(body.toString('utf8')) as { items: Record<string, { _id?: string; _version?: number; status: number; result?: string; error?: { type?: string } }>[] };
  return parsed.items.map((it) => {
    const op = Object.keys(it)[0];
    const v = it[op];
    return { op, id: v._id, version: v._version, status: v.status, result: v.result, errorType: v.error?.type };
  });
}

function measure(label: string, body: Buffer, fn: (b: Buffer) => unknown): number {
  const deadline = performance.now() + 1500;
  let n = 0;
  // Warm-up, then as many runs as fit.
  for (let i = 0; i < 200; i++) fn(body);
  const started = performance.now();
  while (performance.now() < deadline) {
    for (let i = 0; i < 50; i++) fn(body);
    n += 50;
  }
  const us = ((performance.now() - started) * 1000) / n;
  process.stderr.write(`${label}: ${us.toFixed(2)} µs\n`);
  return us;
}

const rows: string[][] = [];
for (const [items, errorsEvery] of [[5, 0], [1000, 0], [1000, 10]]) {
  const body = response(items, errorsEvery);
  const scan = measure(`scan ${items}/${errorsEvery}`, body, scanBulkItems);
  const parse = measure(`JSON.parse ${items}/${errorsEvery}`, body, viaJsonParse);
  rows.push([`${items} items${errorsEvery ? `, 1 in ${errorsEvery} failed` : ''} (${(body.length / 1024).toFixed(1)} KiB)`, parse.toFixed(2), scan.toFixed(2), (parse / scan).toFixed(2)]);
}
process.stdout.write(`| response | JSON.parse µs | scan µs | JSON.parse / scan |\n|---|---|---|---|\n${rows.map((r) => `| ${r.join(' | ')} |`).join('\n')}\n`);
