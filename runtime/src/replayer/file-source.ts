import type { Readable } from 'node:stream';
import { decodeCaptureLine, openCaptureLines } from './capture-input';
import type { RecordRef } from './reassembler';
import type { TrafficReplayer } from './replayer';

const NO_HOLD: RecordRef = { retain: () => undefined, release: () => undefined };

/**
 * Replays one TrafficStream per line (base64, or the reference's `key|base64`; gzipped or not)
 * from a file or stdin ('-'), then waits until every request has its tuple. Lines that do not
 * decode are skipped and counted.
 */
export async function replayLines(input: string | Readable, replayer: TrafficReplayer, shouldStop: () => boolean = () => false): Promise<{ records: number; malformed: number }> {
  const lines = await openCaptureLines(input);
  let lineNo = 0;
  let records = 0;
  let malformed = 0;
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
      record = decodeCaptureLine(line).stream;
    } catch (err) {
      malformed++;
      replayer.addMalformed(err, `line ${lineNo}`);
      continue;
    }
    records++;
    replayer.addRecord(record, NO_HOLD);
    if (!replayer.hasRoom()) await replayer.waitForRoom();
  }
  lines.close();
  replayer.endAllConnections();
  return { records, malformed };
}
