import { buf as jsCrc32cSigned } from 'crc-32/crc32c';

/** CRC-32C in JavaScript (table-driven, ~0.9 ms per MB here). */
export function jsCrc32c(data: Uint8Array): number {
  return jsCrc32cSigned(data) >>> 0;
}

/**
 * The native CRC-32C (@node-rs/crc32: CPU instructions, ~0.13 ms per MB) where its binary loads;
 * the JavaScript one otherwise, e.g. in a proxy artifact built on another CPU architecture.
 */
function load(): { crc32c: (data: Uint8Array) => number; native: boolean } {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const native = require('@node-rs/crc32') as { crc32c: (data: Uint8Array) => number };
    return { crc32c: (data) => native.crc32c(data), native: true };
  } catch {
    return { crc32c: jsCrc32c, native: false };
  }
}

const loaded = load();
export const crc32c = loaded.crc32c;
export const nativeCrc32c = loaded.native;
