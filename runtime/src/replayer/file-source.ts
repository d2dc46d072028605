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
  for await (const line of lines) {
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
