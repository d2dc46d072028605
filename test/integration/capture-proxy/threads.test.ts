import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { SpillJournal } from '../../../runtime/src/capture-proxy/spill-journal';
import { workerJournalDir } from '../../../runtime/src/capture-proxy/threads';
import { freePort } from '../../../runtime/src/local/ports';
import { encodeTrafficStream, timestampFromMillis, TrafficStream } from '../../../runtime/src/core/traffic-stream';
import { stackEndpoints, uniqueName } from '../../support/env';
import { byConnection, ClientConnection, closedConnections, processAlive, ProxyProcess, readTopic, spawnProxy, statusOf } from './support';

const { sourceUrl, kafkaBrokers } = stackEndpoints();
const source = new URL(sourceUrl);
const CLI = path.resolve(__dirname, '../../../runtime/dist/capture-proxy/cli.js');
const index = uniqueName('threads-idx');

const get = (target: string) => Buffer.from(`GET ${target} HTTP/1.1\r\nHost: ${source.host}\r\n\r\n`);
const put = (target: string, body: string) => Buffer.from(`PUT ${target} HTTP/1.1\r\nHost: ${source.host}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function startThreads(topic: string, journalDir: string, extra: string[] = []): Promise<ProxyProcess> {
  const port = await freePort();
  return spawnProxy(process.execPath, [CLI, '--destinationUri', sourceUrl, '--listenHost', '127.0.0.1', '--listenPort', String(port), '--kafkaConnection', kafkaBrokers, '--kafkaTopic', topic, '--journalDirectory', journalDir, '--numThreads', '2', '--metricsPort', '0', '--metricsHost', '127.0.0.1', ...extra]);
}

/** The primary's live worker processes: pid and index (from each one's environment). */
function workers(primaryPid: number): Array<{ pid: number; index: number }> {
  const children = readFileSync(`/proc/${primaryPid}/task/${primaryPid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  return children.filter(processAlive).map((pid) => ({ pid, index: Number(/MIGRATION_PROXY_WORKER_INDEX=(\d+)/.exec(readFileSync(`/proc/${pid}/environ`, 'latin1'))?.[1]) }));
}

/** A record as an earlier run's worker left it in its journal. */
function journalRecord(dir: string, connectionId: string): void {
  const stream: TrafficStream = { connectionId, nodeId: 'journal-test', subStream: [{ ts: timestampFromMillis(Date.now()), close: {} }], numberOfThisLastChunk: 1 };
  const journal = new SpillJournal(dir);
  journal.append(Buffer.from(connectionId), encodeTrafficStream(stream));
  journal.close();
}

/** The proxy's connection id without its counter: which worker process made it. */
const workerOf = (connectionId: string) => connectionId.split('-')[0];

async function metric(proxy: ProxyProcess, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${proxy.ready.metricsPort}/metrics`)).text();
  return Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);
}

let proxies: ProxyProcess[] = [];
afterEach(async () => {
  for (const p of proxies) p.child.kill('SIGKILL');
  proxies = [];
});
afterAll(async () => {
  await fetch(`${sourceUrl}/${index}`, { method: 'DELETE' });
});

describe('capture proxy with --numThreads 2', () => {
  it('keeps each of 200 pipelined keep-alive connections in one worker, captured byte for byte and in order; /metrics sums the workers', async () => {
    const topic = uniqueName('threads-200');
    const journalDir = mkdtempSync(path.join(os.tmpdir(), 'threads-journal-'));
    // A journal left by a run with more workers: worker 0 sends it and removes it.
    journalRecord(workerJournalDir(journalDir, 5), 'orphan-journal-record');
    const proxy = await startThreads(topic, journalDir);
    proxies.push(proxy);
    expect(proxy.ready.threads).toBe(2);

    const conns = await Promise.all(Array.from({ length: 200 }, () => ClientConnection.open(proxy.ready.listenPort)));
    await Promise.all(
      conns.map(async (c, i) => {
        await c.send([0, 1, 2].map((j) => get(`/threads-${i}-${j}`)));
        await c.send([get(`/threads-${i}-3`)]);
        c.close();
      }),
    );
    const streams = await readTopic(kafkaBrokers, topic, (s) => closedConnections(s) >= 201, 60_000);
    const captured = byConnection(streams);
    expect(captured.get('orphan-journal-record')).toBeDefined();
    for (let i = 0; i < 100 && existsSync(workerJournalDir(journalDir, 5)); i++) await sleep(100);
    expect(existsSync(workerJournalDir(journalDir, 5))).toBe(false);
    captured.delete('orphan-journal-record');
    expect(captured.size).toBe(200);
    const byClient = new Map([...captured.values()].map((c) => [Number(/threads-(\d+)-0/.exec(c.reads.toString('latin1'))?.[1]), c]));
    for (const [i, c] of conns.entries()) {
      const cap = byClient.get(i)!;
      expect(cap.reads.equals(Buffer.concat(c.sent))).toBe(true);
      expect(cap.writes.equals(Buffer.concat(c.received))).toBe(true);
      expect(cap.requests).toBe(4);
      expect(cap.closed).toBe(true);
    }
    // The primary hands connections to the workers in turn: a burst of 200 splits 100/100.
    const perWorker = new Map<string, number>();
    for (const id of captured.keys()) perWorker.set(workerOf(id), (perWorker.get(workerOf(id)) ?? 0) + 1);
    expect([...perWorker.values()]).toEqual([100, 100]);
    expect(await metric(proxy, 'capture_proxy_connections_total')).toBe(200);
    expect(await metric(proxy, 'capture_proxy_requests_total')).toBe(800);
    expect(await metric(proxy, 'capture_proxy_connections_active')).toBe(0);
  });

  it('survives kill -9 of a worker: its connections fail, the others do not, it comes back and sends its journal; every acknowledged write is captured', async () => {
    const topic = uniqueName('threads-kill');
    const journalDir = mkdtempSync(path.join(os.tmpdir(), 'threads-journal-'));
    const proxy = await startThreads(topic, journalDir);
    proxies.push(proxy);
    const primary = proxy.child.pid!;
    const acked: string[] = [];
    const conns = await Promise.all(Array.from({ length: 40 }, () => ClientConnection.open(proxy.ready.listenPort)));
    await Promise.all(
      conns.map(async (c, i) => {
        await c.send([put(`/${index}/_doc/before-${i}`, `{"i":${i}}`), get(`/threads-kill-${i}`)]);
        if (statusOf(c.answers[0]) === 201) acked.push(`before-${i}`);
      }),
    );
    expect(acked).toHaveLength(40);

    // The primary stopped, so that the dead worker's journal can be written before it restarts.
    const [victim, survivor] = workers(primary);
    process.kill(primary, 'SIGSTOP');
    try {
      process.kill(victim.pid, 'SIGKILL');
      while (processAlive(victim.pid)) await sleep(10);
      journalRecord(workerJournalDir(journalDir, victim.index), 'journal-of-the-killed-worker');
      const after = await Promise.all(conns.map((c, i) => c.send([put(`/${index}/_doc/after-${i}`, `{"i":${i}}`)]).then(() => true, () => false)));
      const failed = conns.filter((_, i) => !after[i]).length;
      expect(failed).toBeGreaterThan(0);
      expect(failed).toBeLessThan(40);
      for (const [i, ok] of after.entries()) if (ok && statusOf(conns[i].answers[2]) === 201) acked.push(`after-${i}`);
      expect(workers(primary).map((w) => w.pid)).toEqual([survivor.pid]);
    } finally {
      process.kill(primary, 'SIGCONT');
    }
    const deadline = Date.now() + 30_000;
    while (!proxy.stderr().includes('restarted worker ready') && Date.now() < deadline) await sleep(50);
    expect(workers(primary)).toHaveLength(2);
    // New connections reach both workers again, the new one included.
    const fresh = await Promise.all(Array.from({ length: 20 }, () => ClientConnection.open(proxy.ready.listenPort)));
    await Promise.all(fresh.map((c, i) => c.send([put(`/${index}/_doc/fresh-${i}`, `{"i":${i}}`)]).then(() => c.close())));
    acked.push(...fresh.map((_, i) => `fresh-${i}`));
    for (const c of conns) c.close();

    const wanted = (s: TrafficStream[]) => {
      const all = Buffer.concat(s.flatMap((x) => x.subStream.flatMap((o) => (o.read ? [o.read.data as Buffer] : [])))).toString('latin1');
      return s.some((x) => x.connectionId === 'journal-of-the-killed-worker') && acked.every((id) => all.includes(`/_doc/${id} `));
    };
    const streams = await readTopic(kafkaBrokers, topic, wanted, 60_000);
    expect(wanted(streams)).toBe(true);
    const captured = byConnection(streams);
    const beforeConns = [...captured.values()].filter((c) => c.reads.includes('/_doc/before-'));
    const killedPrefix = new Set(beforeConns.filter((c) => !c.reads.includes('/_doc/after-')).map((c) => workerOf(c.id)));
    const survivingPrefix = new Set(beforeConns.filter((c) => c.reads.includes('/_doc/after-')).map((c) => workerOf(c.id)));
    // Exactly the killed worker's connections failed.
    expect(killedPrefix.size).toBe(1);
    expect(survivingPrefix.size).toBe(1);
    expect([...killedPrefix][0]).not.toBe([...survivingPrefix][0]);
    const freshPrefixes = new Set([...captured.values()].filter((c) => c.reads.includes('/_doc/fresh-')).map((c) => workerOf(c.id)));
    expect(freshPrefixes.size).toBe(2);
    expect(freshPrefixes.has([...killedPrefix][0])).toBe(false);
    expect(proxy.stderr()).toContain('a capture proxy worker died');
  });

  it('drains every worker on SIGTERM to the primary: requests in flight finish, their capture reaches Kafka, then it exits 0', async () => {
    const topic = uniqueName('threads-term');
    const proxy = await startThreads(topic, mkdtempSync(path.join(os.tmpdir(), 'threads-journal-')));
    proxies.push(proxy);
    const conns = await Promise.all(Array.from({ length: 10 }, () => ClientConnection.open(proxy.ready.listenPort)));
    // Slow requests on both workers: the source answers after its 1.5 s timeout.
    const inFlight = conns.map((c) => c.send([get('/_cluster/health?wait_for_nodes=9&timeout=1500ms')]));
    await sleep(300);
    proxy.child.kill('SIGTERM');
    await Promise.all(inFlight);
    for (const c of conns) expect(statusOf(c.answers[0])).toBe(408);
    expect(await proxy.exited).toBe(0);
    const streams = await readTopic(kafkaBrokers, topic, (s) => byConnection(s).size >= 10 && [...byConnection(s).values()].every((c) => c.writes.length > 0));
    const captured = [...byConnection(streams).values()];
    expect(captured).toHaveLength(10);
    for (const c of captured) expect(c.writes.toString('latin1')).toMatch(/^HTTP\/1\.1 408/);
    expect(new Set(captured.map((c) => workerOf(c.id))).size).toBe(2);
    expect(proxy.stderr()).toMatch(/"worker":0.*capture proxy stopped/);
    expect(proxy.stderr()).toMatch(/"worker":1.*capture proxy stopped/);
  });

  it('outlives kill -9 of the primary just long enough: the workers finish their requests in flight, flush their capture and exit', async () => {
    const topic = uniqueName('threads-primary');
    const proxy = await startThreads(topic, mkdtempSync(path.join(os.tmpdir(), 'threads-journal-')));
    proxies.push(proxy);
    const pids = workers(proxy.child.pid!).map((w) => w.pid);
    const conns = await Promise.all(Array.from({ length: 4 }, () => ClientConnection.open(proxy.ready.listenPort)));
    const inFlight = conns.map((c) => c.send([get('/_cluster/health?wait_for_nodes=9&timeout=1500ms')]));
    await sleep(300);
    proxy.child.kill('SIGKILL');
    await Promise.all(inFlight);
    for (const c of conns) expect(statusOf(c.answers[0])).toBe(408);
    for (const c of conns) c.close();
    const deadline = Date.now() + 30_000;
    while (pids.some(processAlive) && Date.now() < deadline) await sleep(50);
    expect(pids.filter(processAlive)).toEqual([]);
    const streams = await readTopic(kafkaBrokers, topic, (s) => closedConnections(s) >= 4);
    expect([...byConnection(streams).values()].filter((c) => c.closed && /^HTTP\/1\.1 408/.test(c.writes.toString('latin1')))).toHaveLength(4);
  });

  it('names a port it cannot take and exits 1', async () => {
    const holder = net.createServer().listen(0, '127.0.0.1');
    await new Promise((r) => holder.once('listening', r));
    const port = (holder.address() as net.AddressInfo).port;
    try {
      const child = spawn(process.execPath, [CLI, '--destinationUri', sourceUrl, '--listenHost', '127.0.0.1', '--listenPort', String(port), '--noCapture', '--numThreads', '2'], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr!.on('data', (d) => (stderr += d));
      const code = await new Promise<number | null>((r) => child.once('exit', r));
      expect(code).toBe(1);
      expect(stderr).toContain(`cannot listen on 127.0.0.1:${port} (EADDRINUSE): choose another --listenPort`);
    } finally {
      holder.close();
    }
  });
});
