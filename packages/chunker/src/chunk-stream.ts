import { createChunker } from './streaming-chunker.js';
import type { ChunkerParams } from './chunker-params.js';

/** Chunks an async stream of byte pieces; yields each chunk as soon as it is complete. */
export async function* chunkStream(
  source: AsyncIterable<Uint8Array>,
  params?: ChunkerParams,
): AsyncGenerator<Uint8Array> {
  const chunker = createChunker(params);
  for await (const piece of source) yield* chunker.push(piece);
  yield* chunker.finish();
}
