import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeTrafficStreamLine } from '../../../runtime/src/core/traffic-stream';
import { CapturedConnection, encodeConnection } from '../../support/capture-encoder';
import { assertBuilt, httpRequest, startReplayer } from './support';

const OK = Buffer.from('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}');

describe('traffic replayer target connections', () => {
  const dir = mkdtempSync(join(tmpdir(), 'replay-conns-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('sends one source connection\'s searches (GETs with a body) and writes on one kept-alive target connection', async () => {
    assertBuilt();
    let connections = 0;
    const seen: string[] = [];
    const server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        seen.push(`${req.method} ${req.url} ${body}`);
        res.end('{}');
      });
    });
    server.on('connection', () => connections++);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    try {
      const t = Date.now();
      const conn: CapturedConnection = {
        connectionId: 'searches',
        exchanges: Array.from({ length: 30 }, (_, i) => ({
          request: i % 3 === 2 ? httpRequest('PUT', `/idx/_doc/${i}`, `{"i":${i}}`) : httpRequest('GET', `/idx/_search?i=${i}`, `{"query":{"term":{"i":${i}}}}`),
          response: OK,
          requestTs: t + i,
          responseTs: t + i + 0.5,
        })),
      };
      const file = join(dir, 'capture.log');
      writeFileSync(file, encodeConnection(conn).map(encodeTrafficStreamLine).join('\n') + '\n');
      const run = startReplayer(['--target-uri', `http://127.0.0.1:${(server.address() as AddressInfo).port}`, '-i', file, '--speedup-factor', '1000', '--tuple-dir', join(dir, 'tuples')]);
      expect(await run.exited).toBe(0);
      expect(seen).toEqual(conn.exchanges.map((ex, i) => (i % 3 === 2 ? `PUT /idx/_doc/${i} {"i":${i}}` : `GET /idx/_search?i=${i} {"query":{"term":{"i":${i}}}}`)));
      expect(connections).toBe(1);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
