/*
 * Stands in for @node-rs/crc32 inside the capture proxy's executable: a native addon cannot be
 * required from inside a binary, so its .node file travels as an asset, is written to a private
 * temporary directory, loaded, and removed. Where that fails (a noexec /tmp, say) the require
 * throws and the producer uses its JavaScript CRC-32C instead.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { getRawAsset } from 'node:sea';

function load(): { crc32c: (data: Uint8Array) => number } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'capture-proxy-crc32-'));
  try {
    const file = path.join(dir, 'crc32.node');
    writeFileSync(file, new Uint8Array(getRawAsset('crc32.node') as ArrayBuffer), { mode: 0o500 });
    const addon = { exports: {} as { crc32c?: (data: Uint8Array) => number } };
    process.dlopen(addon, file);
    if (typeof addon.exports.crc32c !== 'function') throw new Error('the crc32 addon has no crc32c');
    return { crc32c: addon.exports.crc32c };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const { crc32c } = load();
