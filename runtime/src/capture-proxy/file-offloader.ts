import { closeSync, fsyncSync, mkdirSync, openSync, writeSync } from 'node:fs';
import path from 'node:path';
import type { CaptureOffloader } from './offloader';
import type { ProxyStats } from './proxy-stats';

export interface FileOffloaderOptions {
  directory: string;
  nodeId: string;
  /** A new file is started past this size. */
  maxFileBytes: number;
  stats: ProxyStats;
  /** The worker of --numThreads that writes (in the file names, so that workers never share a file). */
  worker?: number;
}

/**
 * The reference's file form: one base64 TrafficStream per line, in files rotated by size
 * (capture-<node>[-w<worker>]-<start time>-<n>.log). The replayer reads these from a file or stdin.
 */
export class FileOffloader implements CaptureOffloader {
  readonly acknowledges = false;
  private fd = -1;
  private written = 0;
  private fileIndex = 0;
  private readonly prefix: string;
  private readonly ack = Promise.resolve(true);

  constructor(private readonly opts: FileOffloaderOptions) {
    mkdirSync(opts.directory, { recursive: true });
    const safeNode = opts.nodeId.replace(/[^A-Za-z0-9_.-]/g, '_');
    const worker = opts.worker === undefined ? '' : `-w${opts.worker}`;
    this.prefix = `capture-${safeNode}${worker}-${new Date().toISOString().replace(/[:.]/g, '')}`;
  }

  submit(_key: Buffer, value: Uint8Array, wantAck: boolean): Promise<boolean> | undefined {
    const line = Buffer.from(Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64') + '\n', 'latin1');
    if (this.fd < 0 || this.written + line.length > this.opts.maxFileBytes) this.rotate();
    writeSync(this.fd, line);
    this.written += line.length;
    this.opts.stats.recordsSubmitted++;
    this.opts.stats.recordsAcked++;
    return wantAck ? this.ack : undefined;
  }

  /** The file being written. */
  get currentFile(): string {
    return path.join(this.opts.directory, `${this.prefix}-${this.fileIndex}.log`);
  }

  async close(): Promise<void> {
    if (this.fd >= 0) {
      fsyncSync(this.fd);
      closeSync(this.fd);
      this.fd = -1;
    }
  }

  private rotate(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fileIndex++;
    this.fd = openSync(this.currentFile, 'a');
    this.written = 0;
  }
}

/** --noCapture: records are not made at all; this only satisfies the interface. */
export class NoCaptureOffloader implements CaptureOffloader {
  readonly acknowledges = false;
  submit(): undefined {
    return undefined;
  }
  async close(): Promise<void> {}
}
