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
  DCtx: new () => {
    decompress(destination: Uint8Array, source: Uint8Array): number;
    decompressUsingDict(destination: Uint8Array, source: Uint8Array, dictionary: Uint8Array): number;
  };
  CCtx: new () => {
    setParameter(parameter: number, value: number): void;
    compress2(destination: Uint8Array, source: Uint8Array): number;
    loadDictionary(dictionary: Uint8Array): void;
    reset(directive: number): void;
  };
  CParameter: { compressionLevel: number; checksumFlag: number; windowLog: number; hashLog: number };
  ResetDirective: { sessionAndParameters: number };
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
  const dictCctx = new binding.CCtx();
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

    compressWithBase(data: Uint8Array, base: Uint8Array, level: number): Uint8Array {
      if (!(data instanceof Uint8Array) || !(base instanceof Uint8Array)) throw new TypeError('zstd data and base must be Uint8Arrays');
      checkZstdLevel(level);
      // The window covers the base and the blob, so a match may reach back to any byte of the base
      // (a level's own window, 2 MiB at level 3, would leave the start of a large base out of reach);
      // the hash table grows with it. Frames carry the content size, no checksum (the blob id checks them).
      const windowLog = Math.min(MAX_DELTA_WINDOW_LOG, Math.max(MIN_WINDOW_LOG, Math.ceil(Math.log2(data.length + base.length + 1))));
      dictCctx.reset(binding.ResetDirective.sessionAndParameters);
      dictCctx.setParameter(binding.CParameter.compressionLevel, level);
      dictCctx.setParameter(binding.CParameter.windowLog, windowLog);
      dictCctx.setParameter(binding.CParameter.hashLog, Math.min(windowLog - 3, MAX_DELTA_HASH_LOG));
      dictCctx.loadDictionary(rawContent(base));
      const frame = new Uint8Array(binding.compressBound(data.length));
      const length = dictCctx.compress2(frame, data);
      return frame.slice(0, length);
    },

    decompressWithBase(destination: Uint8Array, data: Uint8Array, base: Uint8Array): void {
      decompressInto(destination, data, base);
    },
  };

  function decompressInto(destination: Uint8Array, data: Uint8Array, base?: Uint8Array): void {
    const rawLength = destination.byteLength;
    checkZstdFrame(data, rawLength);
    let written: number;
    try {
      written = base === undefined ? dctx.decompress(destination, data) : dctx.decompressUsingDict(destination, data, rawContent(base));
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new CairnError('ERR_INTEGRITY', `zstd frame does not decompress: ${reason}`, { cause: error });
    }
    if (written !== rawLength) {
      throw new CairnError('ERR_INTEGRITY', `zstd frame holds ${written} bytes, expected ${rawLength}`);
    }
  }
}

/** The largest window a delta frame asks for (128 MiB: within what every zstd decoder accepts by default, 2^27). */
const MAX_DELTA_WINDOW_LOG = 27;
const MIN_WINDOW_LOG = 10;
/** The largest hash table of a delta's compression (2^22 entries, 16 MiB). */
const MAX_DELTA_HASH_LOG = 22;

/** zstd's magic number of a structured dictionary: content starting with it would be read as one, not as raw content. */
const DICTIONARY_MAGIC = 0xec30a437;

/**
 * `base` as libzstd must see it to use it as raw content: the `*_usingDict` calls load a buffer
 * that starts with the dictionary magic as a structured dictionary (ZSTD_dct_auto), so such a
 * base is never used (the writer stores that blob whole: see startsLikeDictionary).
 */
function rawContent(base: Uint8Array): Uint8Array {
  if (startsLikeDictionary(base)) throw new CairnError('ERR_FORMAT', 'a delta base that starts with the zstd dictionary magic cannot be used as raw content');
  return base;
}

/** True when `base` starts with zstd's dictionary magic (such a base is not used for deltas). */
export function startsLikeDictionary(base: Uint8Array): boolean {
  return base.length >= 4 && (base[0]! | (base[1]! << 8) | (base[2]! << 16) | (base[3]! << 24)) >>> 0 === DICTIONARY_MAGIC;
}
