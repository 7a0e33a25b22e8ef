import type { StreamingChunker } from '@cairn/chunker';

/** A deterministic xorshift32 generator; `next()` returns a uint32. */
export function seededRandom(seed: number): { next(): number } {
  let state = seed >>> 0 || 1;
  return {
    next(): number {
      state ^= state << 13;
      state >>>= 0;
      state ^= state >>> 17;
      state ^= state << 5;
      state >>>= 0;
      return state;
    },
  };
}

/** `length` pseudo-random bytes, the same for the same seed. */
export function pseudoRandomBytes(length: number, seed: number): Uint8Array {
  const rng = seededRandom(seed);
  const words = new Uint32Array(Math.ceil(length / 4));
  for (let i = 0; i < words.length; i++) words[i] = rng.next();
  return new Uint8Array(words.buffer, 0, length);
}

/** Feeds `data` to `chunker` in pieces of the sizes `nextSize` returns; collects every chunk. */
export function chunkInPieces(chunker: StreamingChunker, data: Uint8Array, nextSize: () => number): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  for (let offset = 0; offset < data.length; ) {
    const size = Math.min(nextSize(), data.length - offset);
    chunks.push(...chunker.push(data.subarray(offset, offset + size)));
    offset += size;
  }
  chunks.push(...chunker.finish());
  return chunks;
}

/** The chunk lengths, for comparing boundaries. */
export function lengths(chunks: readonly Uint8Array[]): number[] {
  return chunks.map((chunk) => chunk.length);
}

/** All chunks back to back. */
export function concat(chunks: readonly Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(chunks));
}

/** True when both hold the same bytes (a boolean, so a failure never diffs megabytes). */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}
