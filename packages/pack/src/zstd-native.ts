import { createRequire } from 'node:module';
import { CairnError } from '@cairn/core';
import { checkRawLength, checkZstdLevel } from './zstd-codec.js';
import type { ZstdCodec } from './zstd-codec.js';
import { checkZstdFrame } from './zstd-frame.js';

// The slice of zstd-napi this codec uses (declared here: the addon is optional, its types may be absent).
interface NapiCompressor {
  setParameters(parameters: { compressionLevel: number; checksumFlag: boolean }): void;
  compress(data: Uint8Array): Uint8Array;
}
interface NapiIndex {
  Compressor: new () => NapiCompressor;
}
interface NapiBinding {
  DCtx: new () => { decompress(destination: Uint8Array, source: Uint8Array): number };
  CCtx: new () => { setParameter(parameter: number, value: number): void; compress2(destination: Uint8Array, source: Uint8Array): number };
  CParameter: { compressionLevel: number; checksumFlag: number };
  compressBound(length: number): number;
}

/**
 * The native zstd (zstd-napi, libzstd). Loaded on first call, never on import; ERR_UNSUPPORTED
 * when the addon is missing or does not load here. Frames carry their content size and a
 * checksum; decompression writes into a buffer of exactly `rawLength` bytes, so a frame can never
 * expand past it.
 */
export async function loadNativeZstd(): Promise<ZstdCodec> {
  let napi: NapiIndex;
  let binding: NapiBinding;
  try {
    const require = createRequire(import.meta.url);
    napi = require('zstd-napi') as NapiIndex;
    binding = require('zstd-napi/binding') as NapiBinding;
  } catch (error) {
    throw new CairnError('ERR_UNSUPPORTED', `the native zstd (zstd-napi) cannot be loaded: ${String(error)}`, {
      cause: error,
      hint: 'cairn falls back to the slower WASM zstd; reinstall to rebuild zstd-napi for this platform',
    });
  }
  const compressor = new napi.Compressor();
  const dctx = new binding.DCtx();
  const cctx = new binding.CCtx();
  cctx.setParameter(binding.CParameter.checksumFlag, 1);
  let currentLevel = 0;
  let cctxLevel = 0;

  return {
    name: 'zstd-napi',

    compress(data: Uint8Array, level: number): Uint8Array {
      if (!(data instanceof Uint8Array)) throw new TypeError('zstd data must be a Uint8Array');
      checkZstdLevel(level);
      if (level !== currentLevel) {
        compressor.setParameters({ compressionLevel: level, checksumFlag: true });
        currentLevel = level;
      }
      const frame = compressor.compress(data);
      // A plain Uint8Array view, not a Buffer (whose slice() would alias).
      return new Uint8Array(frame.buffer, frame.byteOffset, frame.byteLength);
    },

    compressInto(destination: Uint8Array, data: Uint8Array, level: number): number {
      checkZstdLevel(level);
      if (level !== cctxLevel) {
        cctx.setParameter(binding.CParameter.compressionLevel, level);
        cctxLevel = level;
      }
      return cctx.compress2(destination, data);
    },

    compressBound: (length: number) => binding.compressBound(length),

    decompress(data: Uint8Array, rawLength: number): Uint8Array {
      checkRawLength(rawLength);
      const output = new Uint8Array(rawLength);
      decompressInto(output, data);
      return output;
    },

    decompressInto,
  };

  function decompressInto(destination: Uint8Array, data: Uint8Array): void {
    const rawLength = destination.byteLength;
    checkZstdFrame(data, rawLength);
    let written: number;
    try {
      written = dctx.decompress(destination, data);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new CairnError('ERR_INTEGRITY', `zstd frame does not decompress: ${reason}`, { cause: error });
    }
    if (written !== rawLength) {
      throw new CairnError('ERR_INTEGRITY', `zstd frame holds ${written} bytes, expected ${rawLength}`);
    }
  }
}
