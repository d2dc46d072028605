import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseProxyArgs } from '../../../runtime/src/capture-proxy/options';
import { addTotals, ProxyStats, statsSnapshot, sumStats } from '../../../runtime/src/capture-proxy/proxy-stats';
import { defaultThreadCount, MAX_DEFAULT_THREADS, orphanJournalDirs, workerConfig, workerJournalDir } from '../../../runtime/src/capture-proxy/threads';

const base = ['--destinationUri', 'http://localhost:19200', '--listenPort', '9200', '--kafkaConnection', 'k:9092', '--journalDirectory', '/var/j'];
const parse = (...args: string[]) => parseProxyArgs([...base, ...args], {}, () => undefined);

describe('--numThreads', () => {
  it('defaults to the number of cores, at most the cap; 0 means the default', () => {
    expect([1, 2, 4, 8, 64].map((c) => defaultThreadCount(c))).toEqual([1, 2, 4, MAX_DEFAULT_THREADS, MAX_DEFAULT_THREADS]);
    expect(parse().numThreads).toBe(defaultThreadCount());
    expect(parse('--numThreads', '0').numThreads).toBe(defaultThreadCount());
    expect(parse('--numThreads', '3').numThreads).toBe(3);
    expect(parseProxyArgs(base, { CAPTURE_PROXY_NUM_THREADS: '2' }).numThreads).toBe(2);
  });

  it('rejects a count that is not a whole number or too large', () => {
    expect(() => parse('--numThreads', 'two')).toThrow(/--numThreads must be a whole number/);
    expect(() => parse('--numThreads', '65')).toThrow(/--numThreads must be a whole number from 0 to 64 \(got "65"\)/);
  });

  it('gives each worker its own journal directory and a share of the bounds, worker 0 the directory itself', () => {
    const config = parse('--maxBufferedCaptureBytes', String(64 * 1024 * 1024), '--maxJournalBytes', '1000');
    const [w0, w1, w2] = [0, 1, 2].map((i) => workerConfig(config, i, 3));
    expect([w0.journalDir, w1.journalDir, w2.journalDir]).toEqual(['/var/j', '/var/j/worker-1', '/var/j/worker-2']);
    expect(w1.maxBufferedBytes).toBe(Math.floor((64 * 1024 * 1024) / 3));
    expect(w1.maxJournalBytes).toBe(333);
    // A tiny total still leaves each worker a usable buffer.
    expect(workerConfig(parse('--maxBufferedCaptureBytes', String(1024 * 1024)), 1, 4).maxBufferedBytes).toBe(1024 * 1024);
    expect(workerJournalDir('/j', 0)).toBe('/j');
  });

  it('names each worker in its capture files, so that workers never share one', () => {
    const config = parseProxyArgs(['--destinationUri', 'http://localhost:19200', '--listenPort', '9200', '--traceDirectory', '/t'], {}, () => undefined);
    expect(workerConfig(config, 1, 2).capture).toEqual({ kind: 'file', directory: '/t', maxFileBytes: 100 * 1024 * 1024, worker: 1 });
  });

  it('finds the journals of workers this run does not have, when they still hold capture', () => {
    const root = mkdtempSync(path.join(tmpdir(), 'orphans-'));
    try {
      const journal = (name: string, bytes: number) => {
        mkdirSync(path.join(root, name), { recursive: true });
        writeFileSync(path.join(root, name, 'capture.journal'), Buffer.alloc(bytes));
      };
      journal('worker-1', 10);
      journal('worker-3', 10);
      journal('worker-2', 0); // drained
      journal('worker-10', 5);
      mkdirSync(path.join(root, 'not-a-worker'));
      expect(orphanJournalDirs(root, 2)).toEqual(['worker-3', 'worker-10'].map((n) => path.join(root, n)));
      expect(orphanJournalDirs(root, 1)).toEqual(['worker-1', 'worker-3', 'worker-10'].map((n) => path.join(root, n)));
      expect(orphanJournalDirs(path.join(root, 'missing'), 1)).toEqual([]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('stats summed over workers', () => {
  const worker = (fields: Partial<ProxyStats>) => statsSnapshot(Object.assign(new ProxyStats(), fields));

  it('adds totals of live and exited workers, and levels of live ones only', () => {
    const exited = new ProxyStats();
    addTotals(exited, worker({ requests: 5, connectionsActive: 7, bufferedBytes: 100 }));
    const sum = sumStats(exited, [worker({ requests: 2, connectionsActive: 1, journalBytes: 10 }), worker({ requests: 3, connectionsActive: 2, bufferedBytes: 5 })]);
    expect(sum.requests).toBe(10);
    expect(sum.connectionsActive).toBe(3);
    expect(sum.bufferedBytes).toBe(5);
    expect(sum.journalBytes).toBe(10);
  });

  it('reports the oldest unacknowledged capture among the workers that hold some', () => {
    const sum = sumStats(new ProxyStats(), [worker({ oldestUnackedAt: 100 }), worker({ oldestUnackedAt: 300, bufferedBytes: 1 }), worker({ oldestUnackedAt: 200, journalBytes: 1 })]);
    expect(sum.oldestUnackedAt).toBe(200);
    expect(sumStats(new ProxyStats(), [worker({ oldestUnackedAt: 100 })]).oldestUnackedAt).toBe(0);
  });
});
