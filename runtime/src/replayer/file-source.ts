import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { decodeTrafficStreamLine } from '../core/traffic-stream';
import type { RecordRef } from './reassembler';
import type { TrafficReplayer } from './replayer';

const NO_HOLD: RecordRef = { retain: () => undefined, release: () => undefined };

/**
 * Replays one base64 TrafficStream per line from a file or stdin ('-'), then waits until every
 * request has its tuple. Lines that do not decode are skipped and counted.
 */
export async function replayLines(input: string | Readable, replayer: TrafficReplayer, shouldStop: () => boolean = () => false): Promise<void> {
  const stream = typeof input === 'string' ? (input === '-' ? process.stdin : createReadStream(input)) : input;
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  let lineNo = 0;
  let sliceStart = performance.now();
  for await (const line of lines) {
    // readline hands out buffered lines as microtasks: without a turn of the event loop now and
    // then, a burst of input (the window reopening after a tuple flush) holds every target
    // connection's response callback until it is decoded, and the connections sit idle.
    if ((lineNo & 15) === 0 && performance.now() - sliceStart > 2) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      sliceStart = performance.now();
    }
    lineNo++;
    if (shouldStop()) break;
    if (!line.trim()) continue;
    let record;
    try {
      record = decodeTrafficStreamLine(line);
    } catch (err) {
      replayer.addMalformed(err, `line ${lineNo}`);
      continue;
    }
    replayer.addRecord(record, NO_HOLD);
    if (!replayer.hasRoom()) await replayer.waitForRoom();
  }
  lines.close();
  replayer.endAllConnections();
}
