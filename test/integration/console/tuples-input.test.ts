import { mkdirSync, mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { buildApi } from '../../../runtime/src/console/api/server';
import { CONSOLE_VERBS } from '../../../runtime/src/console/commands';
import type { ConsoleContext } from '../../../runtime/src/console/context';
import { parseServicesYaml } from '../../../runtime/src/core/services-yaml';
import { consoleCli } from '../../support/console-cli';

const dir = mkdtempSync(path.join(os.tmpdir(), 'tuples-input-'));

const line = (i: number) => JSON.stringify({ connectionId: `c.${i}`, sourceRequest: { Method: 'GET', 'Request-URI': `/shop/_doc/${i}`, body: '' }, sourceResponse: { 'Status-Code': 200, body: Buffer.from('{"found":true}').toString('base64') }, targetResponses: [{ 'Status-Code': 200, body: Buffer.from('{"found":true}').toString('base64') }] });

describe('tuples verbs on bad input: one clear line, a non-zero exit, never a stack trace or "0 requests"', () => {
  // Every verb reads through the same reader: each case runs report, and the cut-off cases all three.
  const ALL = ['report', 'summary', 'show'];
  const cases: [string, () => string, RegExp, string[]?][] = [
    ['a directory that does not exist', () => path.join(dir, 'nowhere'), /tuple directory .*nowhere does not exist/],
    [
      'a directory that is a file',
      () => {
        const f = path.join(dir, 'tuples-0001.log.gz');
        writeFileSync(f, gzipSync(line(1)));
        return f;
      },
      /is a file, not a directory: --tuple-dir takes the directory the replayer writes/,
    ],
    [
      'a directory with no tuple files',
      () => {
        const d = path.join(dir, 'empty');
        mkdirSync(d);
        writeFileSync(path.join(d, 'notes.txt'), 'hello');
        return d;
      },
      /holds no tuple files/,
    ],
    [
      'a truncated gzip',
      () => {
        const d = path.join(dir, 'truncated');
        mkdirSync(d);
        const gz = gzipSync(Array.from({ length: 200 }, (_, i) => line(i)).join('\n'));
        const f = path.join(d, 'tuples-0001.log.gz');
        writeFileSync(f, gz.subarray(0, gz.length - 40));
        // Not the file a replayer is still writing: that one gets a warning instead.
        utimesSync(f, new Date(Date.now() - 120_000), new Date(Date.now() - 120_000));
        return d;
      },
      /tuples-0001\.log\.gz is cut off after \d+ tuples \(an incomplete gzip stream\)/,
      ALL,
    ],
    [
      'a file that is not gzip',
      () => {
        const d = path.join(dir, 'notgzip');
        mkdirSync(d);
        writeFileSync(path.join(d, 'tuples-0001.log.gz'), line(1));
        return d;
      },
      /is not gzip data/,
    ],
    [
      'lines that are not tuples',
      () => {
        const d = path.join(dir, 'logs');
        mkdirSync(d);
        writeFileSync(path.join(d, 'replayer.log'), '{"level":30,"msg":"replay summary"}\n');
        return d;
      },
      /holds no tuples/,
      ALL,
    ],
  ];

  it.each(cases)('%s', async (_what, make, message, verbs = ['report']) => {
    const d = make();
    for (const verb of verbs) {
      // show reads only as far as its --limit: make it read everything.
      const r = await consoleCli(['tuples', verb, '--tuple-dir', d, ...(verb === 'show' ? ['--limit', '100000'] : [])]);
      expect([verb, r.code]).toEqual([verb, expect.any(Number)]);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(message);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).not.toMatch(/\n\s+at |Unexpected error/);
      expect(r.stdout).not.toMatch(/0 requests/);
    }
  });
});

describe('tuples verbs on the reference\'s tuple files', () => {
  it('show and report a JSON array of tuples with payload bodies', async () => {
    const d = path.join(dir, 'reference');
    mkdirSync(d);
    const tuples = [
      {
        connectionId: 'r.0',
        sourceRequest: { 'Request-URI': '/shop/_search', Method: 'POST', 'HTTP-Version': 'HTTP/1.1', 'Content-Type': ['application/json'], payload: { inlinedJsonBody: { query: { match_all: {} } } } },
        sourceResponse: { 'HTTP-Version': 'HTTP/1.1', 'Status-Code': 200, 'Reason-Phrase': 'OK', response_time_ms: 12, payload: { inlinedJsonBody: { took: 3, hits: { total: { value: 1, relation: 'eq' }, hits: [{ _id: 'a', _score: 1 }] } } } },
        targetRequest: { 'Request-URI': '/shop/_search', Method: 'POST', 'HTTP-Version': 'HTTP/1.1', payload: { inlinedJsonBody: { query: { match_all: {} } } } },
        targetResponses: [{ 'HTTP-Version': 'HTTP/1.1', 'Status-Code': 200, 'Reason-Phrase': 'OK', response_time_ms: 9, payload: { inlinedTextBody: '{"took":5,"hits":{"total":{"value":1,"relation":"eq"},"hits":[{"_id":"a","_score":2}]}}' } }],
        numRequests: 1,
        numErrors: 0,
      },
      {
        connectionId: 'r.1',
        sourceRequest: { 'Request-URI': '/_bulk', Method: 'POST', payload: { inlinedJsonSequenceBodies: [{ index: { _index: 'shop', _id: '1' } }, { n: 1 }] } },
        sourceResponse: { 'Status-Code': 200, payload: { inlinedBase64Body: Buffer.from('{"errors":false,"items":[{"index":{"status":201}}]}').toString('base64') } },
        targetResponses: [{ 'Status-Code': 200, body: Buffer.from('{"errors":false,"items":[{"index":{"status":201}}]}').toString('base64') }],
      },
    ];
    writeFileSync(path.join(d, 'tuples.json'), JSON.stringify(tuples, null, 2));
    const shown = JSON.parse((await consoleCli(['--json', 'tuples', 'show', '--tuple-dir', d])).stdout);
    expect(shown.map((s: any) => s.request)).toEqual(['POST /shop/_search', 'POST /_bulk']);
    expect(JSON.parse(shown[0].targetBody).hits.hits[0]._id).toBe('a');
    expect(shown[1].requestBody).toBe('{"index":{"_index":"shop","_id":"1"}}\n{"n":1}');
    const report = JSON.parse((await consoleCli(['--json', 'tuples', 'report', '--tuple-dir', d])).stdout);
    expect(report.totals).toEqual({ same: 2, expected: 0, different: 0 });
  });
});

describe('GET /api/tuples/report', () => {
  it('serves the report of the directory the console was given, and refuses bad input with 400', async () => {
    const d = path.join(dir, 'api');
    mkdirSync(d);
    writeFileSync(path.join(d, 'tuples-0001.log.gz'), gzipSync([line(1), line(2)].join('\n')));
    const context = (tupleDir?: string): ConsoleContext => ({ config: async () => parseServicesYaml(''), stateDir: mkdtempSync(path.join(dir, 'state-')), tupleDir, env: process.env, progress: () => undefined });
    const app = await buildApi({ context: context(d), verbs: CONSOLE_VERBS, sampleIntervalMs: 0 });
    const noTuples = await buildApi({ context: context(), verbs: CONSOLE_VERBS, sampleIntervalMs: 0 });
    const base = async (a: typeof app) => {
      await a.listen({ port: 0, host: '127.0.0.1' });
      return `http://127.0.0.1:${(a.server.address() as any).port}`;
    };
    try {
      const url = await base(app);
      const json = await fetch(`${url}/api/tuples/report?top=3`);
      expect(json.status).toBe(200);
      expect(await json.json()).toMatchObject({ tuples: 2, totals: { same: 2, expected: 0, different: 0 }, byClass: [{ class: 'get', same: 2 }] });
      expect((await fetch(`${url}/api/tuples/report?top=0`)).status).toBe(400);
      // The command line's own flags (a file to write, another directory) are not the API's.
      expect((await fetch(`${url}/api/tuples/report?html=/tmp/x.html`)).status).toBe(400);
      const missing = await fetch(`${await base(noTuples)}/api/tuples/report`);
      expect(missing.status).toBe(400);
      expect(((await missing.json()) as any).message).toMatch(/no tuples to read/);
    } finally {
      await app.close();
      await noTuples.close();
    }
  });
});
