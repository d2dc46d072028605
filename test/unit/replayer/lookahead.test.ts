import pino from 'pino';
import { ReplayerMetrics } from '../../../runtime/src/replayer/metrics';
import { TrafficReplayer } from '../../../runtime/src/replayer/replayer';
import type { TupleWriter } from '../../../runtime/src/replayer/tuple-writer';
import { timestampFromMillis, TrafficStream } from '../../../runtime/src/core/traffic-stream';

const HOLD = { retain: () => undefined, release: () => undefined };

function getAt(connectionId: string, ms: number): TrafficStream {
  return { connectionId, nodeId: 'n', number: 1, subStream: [{ ts: timestampFromMillis(ms), read: { data: Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n') } }, { ts: timestampFromMillis(ms), endOfMessageIndicator: {} }] };
}

function replayer(lookaheadMs?: number): TrafficReplayer {
  return new TrafficReplayer({
    target: new URL('http://127.0.0.1:9'),
    auth: { type: 'passthrough' },
    transforms: [],
    speedupFactor: 1,
    maxConcurrentRequests: 10,
    maxPendingRequests: 1000,
    packetTimeoutMs: 70_000,
    maxRetries: 0,
    connectionRetryMs: 0,
    lookaheadMs,
    tupleWriter: { writeLine: () => undefined } as unknown as TupleWriter,
    metrics: new ReplayerMetrics(),
    logger: pino({ level: 'silent' }),
    onFatal: () => undefined,
  });
}

describe('--lookahead-time-window', () => {
  // Scheduled sends stay scheduled: fake timers keep them from outliving the test.
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('stops reading once the last request read is due further ahead than the window, and not before', async () => {
    const t0 = Date.now();
    const limited = replayer(10_000);
    const unlimited = replayer();
    for (const r of [limited, unlimited]) {
      r.addRecord(getAt('a', t0), HOLD);
      expect(r.hasRoom()).toBe(true);
      // Due 100 s of replay time after the first: beyond a 10 s window.
      r.addRecord(getAt('b', t0 + 100_000), HOLD);
    }
    expect(limited.hasRoom()).toBe(false);
    expect(unlimited.hasRoom()).toBe(true);
    // Once the replay clock has moved on to within the window, reading resumes.
    const resumed = limited.waitForRoom();
    jest.advanceTimersByTime(100_000 - 10_000 + 2_000);
    await resumed;
    expect(limited.hasRoom()).toBe(true);
    await Promise.all([limited.close(), unlimited.close()]);
  });
});
