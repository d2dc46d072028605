import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeTrafficStreamLine } from '../../../runtime/src/core/traffic-stream';
import { CapturedConnection, encodeConnection, interleave } from '../../support/capture-encoder';
import { stackEndpoints } from '../../support/env';
import { assertBuilt, httpRequest, readTuples, RecordingForwarder, startReplayer } from './support';

const { targetUrl } = stackEndpoints();
const OK = Buffer.from('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}');

/** Two connections of GETs with irregular gaps (80-400 ms), tagged so that arrivals can be matched. */
function workload(): CapturedConnection[] {
  let t = Date.now();
  const conns: CapturedConnection[] = [{ connectionId: 't-0', exchanges: [] }, { connectionId: 't-1', exchanges: [] }];
  for (let i = 0; i < 24; i++) {
    t += 80 + ((i * 137) % 320);
    conns[i % 2].exchanges.push({ request: httpRequest('GET', `/_cluster/health?timeout=${i}s`), response: OK, requestTs: t, responseTs: t + 2 });
  }
  return conns;
}

describe('traffic replayer timing', () => {
  const dir = mkdtempSync(join(tmpdir(), 'replay-timing-'));
  const forwarder = new RecordingForwarder(new URL(targetUrl));
  beforeAll(async () => {
    assertBuilt();
    await forwarder.start();
  });
  afterAll(async () => {
    await forwarder.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it.each([1, 10])('keeps the source gaps between requests at speedup %d', async (speedup) => {
    const conns = workload();
    const file = join(dir, `capture-${speedup}.log`);
    writeFileSync(file, interleave(conns.map((c) => encodeConnection(c))).map(encodeTrafficStreamLine).join('\n') + '\n');
    const firstLog = forwarder.log.length;
    const run = startReplayer(['--target-uri', forwarder.url, '-i', file, '--speedup-factor', String(speedup), '--tuple-dir', join(dir, `tuples-${speedup}`)]);
    expect(await run.exited).toBe(0);
    const arrivals = new Map(forwarder.log.slice(firstLog).map((r) => [r.url, r.at]));
    const sent = conns.flatMap((c) => c.exchanges).sort((a, b) => a.requestTs - b.requestTs);
    const errors: number[] = [];
    for (let i = 1; i < sent.length; i++) {
      const url = (ex: (typeof sent)[0]) => ex.request.toString('latin1').split(' ')[1];
      const sourceGap = (sent[i].requestTs - sent[i - 1].requestTs) / speedup;
      const targetGap = arrivals.get(url(sent[i]))! - arrivals.get(url(sent[i - 1]))!;
      errors.push(Math.abs(targetGap - sourceGap));
    }
    errors.sort((a, b) => a - b);
    const p50 = errors[Math.floor(errors.length / 2)];
    const max = errors[errors.length - 1];
    process.stderr.write(`timing at speedup ${speedup}: gap error p50 ${p50.toFixed(1)} ms, max ${max.toFixed(1)} ms\n`);
    expect(errors).toHaveLength(23);
    expect(p50).toBeLessThan(20);
    expect(max).toBeLessThan(150);
  });

  it('keeps source response times from a capture whose timestamps omit zero fields (whole seconds, as Java encoders write them)', async () => {
    const second = Math.floor(Date.now() / 1000) * 1000;
    const conn: CapturedConnection = {
      connectionId: 'whole-seconds',
      exchanges: [
        { request: httpRequest('GET', '/_cluster/health?at=whole'), response: OK, requestTs: second, responseTs: second + 250 },
        { request: httpRequest('GET', '/_cluster/health?to=whole'), response: OK, requestTs: second + 600, responseTs: second + 1000 },
      ],
    };
    const records = encodeConnection(conn, { omitZeroTimestampFields: true });
    expect(records[0].subStream[0].ts).not.toHaveProperty('nanos');
    const file = join(dir, 'whole-seconds.log');
    writeFileSync(file, records.map(encodeTrafficStreamLine).join('\n') + '\n');
    const tuples = join(dir, 'tuples-whole-seconds');
    const run = startReplayer(['--target-uri', forwarder.url, '-i', file, '--speedup-factor', '10', '--tuple-dir', tuples]);
    expect(await run.exited).toBe(0);
    const times = readTuples(tuples).map((t) => [t.sourceRequest?.['Request-URI'], t.sourceResponse?.response_time_ms]);
    expect(times).toEqual([
      ['/_cluster/health?at=whole', 250],
      ['/_cluster/health?to=whole', 400],
    ]);
  });
});
