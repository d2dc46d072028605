import { createReadStream } from 'node:fs';
import { createInterface, Interface } from 'node:readline';
import { PassThrough, Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { ConfigError } from '../core/errors';
import { decodeTrafficStream, TrafficStream } from '../core/traffic-stream';

/*
 * Capture files as -i takes them: one record per line, either plain base64 (our proxy's
 * --traceDirectory files) or `key|base64` (the reference's topic exports), and either form
 * gzipped (told by its magic bytes, not the file name).
 */

const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

/** One line: its TrafficStream, and the record key when the line carried one. */
export function decodeCaptureLine(line: string): { key?: string; stream: TrafficStream } {
  const text = line.trim();
  const bar = text.lastIndexOf('|');
  const key = bar >= 0 ? text.slice(0, bar) : undefined;
  const value = bar >= 0 ? text.slice(bar + 1) : text;
  if (!value || !BASE64.test(value)) throw new Error(`not base64${bar >= 0 ? ' after "key|"' : ''}`);
  return { key, stream: decodeTrafficStream(Buffer.from(value, value.includes('-') || value.includes('_') ? 'base64url' : 'base64')) };
}

function source(input: string | Readable): Readable {
  if (typeof input !== 'string') return input;
  if (input === '-') return process.stdin;
  return createReadStream(input);
}

/** The lines of the input, gunzipped first when it is gzip. */
export async function openCaptureLines(input: string | Readable): Promise<Interface> {
  const raw = source(input);
  const name = typeof input === 'string' ? (input === '-' ? 'stdin' : input) : 'input';
  const problem = (err: Error & { code?: string }) =>
    new ConfigError(`-i ${name}: ${err.code === 'ENOENT' ? 'no such file' : err.code === 'Z_DATA_ERROR' || err.code === 'Z_BUF_ERROR' ? `not valid gzip (${err.message})` : err.message}`);
  let openError: Error | undefined;
  const first: Buffer | null = await new Promise((resolve) => {
    const onReadable = () => {
      const chunk = raw.read() as Buffer | null;
      if (chunk === null && !raw.readableEnded) return;
      raw.off('readable', onReadable);
      resolve(chunk);
    };
    raw.on('readable', onReadable);
    raw.once('end', () => resolve(null));
    raw.once('error', (err) => {
      openError = err;
      resolve(null);
    });
  });
  if (openError) throw problem(openError);
  const out = new PassThrough();
  if (first === null) out.end();
  else {
    raw.unshift(first);
    const gzip = first[0] === 0x1f && first[1] === 0x8b;
    const body = gzip ? raw.pipe(createGunzip()) : raw;
    // A failure past the start (a truncated gzip) ends the lines with that error.
    for (const s of gzip ? [raw, body] : [raw]) s.once('error', (err) => out.destroy(problem(err)));
    body.pipe(out);
  }
  return createInterface({ input: out, crlfDelay: Infinity });
}
