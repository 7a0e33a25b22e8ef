import { createRequire } from 'node:module';
import type { Transform } from 'node:stream';
import { CairnError } from '@cairn/core';
import { checkZstdLevel } from './zstd-codec.js';

// The slice of zstd-napi used here (declared here: the addon is optional, its types may be absent).
interface NapiStreams {
  CompressStream: new (parameters?: { compressionLevel?: number; checksumFlag?: boolean }) => Transform;
  DecompressStream: new () => Transform;
}

function loadStreams(what: string): NapiStreams {
  try {
    return createRequire(import.meta.url)('zstd-napi') as NapiStreams;
  } catch (error) {
    throw new CairnError('ERR_UNSUPPORTED', `${what} needs the native zstd (zstd-napi), which cannot be loaded here: ${String(error)}`, {
      cause: error,
      hint: 'use the plain tar format, or pipe through the zstd command (zstd -d | cairn import -); reinstalling rebuilds zstd-napi for this platform',
    });
  }
}

/**
 * A Transform that compresses what is written into one zstd stream (with a checksum) at `level`:
 * a tar.zst archive. Memory stays at zstd's own window. ERR_UNSUPPORTED without the native zstd.
 */
export function createZstdCompressStream(level = 3): Transform {
  checkZstdLevel(level);
  const { CompressStream } = loadStreams('writing zstd');
  return new CompressStream({ compressionLevel: level, checksumFlag: true });
}

/** A Transform that decompresses a zstd stream (one frame or several). ERR_UNSUPPORTED without the native zstd. */
export function createZstdDecompressStream(): Transform {
  const { DecompressStream } = loadStreams('reading zstd');
  return new DecompressStream();
}
