/**
 * Kafka's default partitioner hash (murmur2 as in the Java client and kafkajs), so that a key
 * lands on the same partition whichever client produced it.
 */
export function murmur2(data: Uint8Array): number {
  const m = 0x5bd1e995;
  const length = data.length;
  let h = 0x9747b28c ^ length;
  const fours = length & ~3;
  for (let i = 0; i < fours; i += 4) {
    let k = data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24);
    k = Math.imul(k, m);
    k ^= k >>> 24;
    k = Math.imul(k, m);
    h = Math.imul(h, m) ^ k;
  }
  const tail = length & 3;
  if (tail === 3) h ^= data[fours + 2] << 16;
  if (tail >= 2) h ^= data[fours + 1] << 8;
  if (tail >= 1) {
    h ^= data[fours];
    h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h;
}

/** The partition of a key among n partitions, as the Java client computes it. */
export function partitionForKey(key: Uint8Array, n: number): number {
  return (murmur2(key) & 0x7fffffff) % n;
}
