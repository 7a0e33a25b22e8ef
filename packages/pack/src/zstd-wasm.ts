import { createRequire } from 'node:module';
import { CairnError } from '@cairn/core';
import { checkRawLength, checkZstdLevel } from './zstd-codec.js';
import type { ZstdCodec } from './zstd-codec.js';
import { checkZstdFrame } from './zstd-frame.js';

// zstd-codec's WASM build has a fixed 16 MiB heap (its module declares that maximum), so its
// one-shot `Simple` API runs out of memory on an 8 MiB chunk and aborts for good. This codec
// drives the same module's streaming bindings (what zstd-codec's own `Streaming` class wraps)
// in 128 KiB pieces instead, so the heap only ever holds zstd's context and window:
// - compression runs at level 9 at most (higher levels' match tables do not fit the heap);
// - decompression refuses frames whose window exceeds 8 MiB (levels <= 19 stay within it),
//   and writes into a buffer of exactly `rawLength` bytes, so a frame cannot expand past it.
const PIECE = 128 * 1024;
const MAX_WASM_LEVEL = 9;
const MAX_WASM_WINDOW = 8 * 1024 * 1024;
const BINDING = 'zstd-codec/lib/zstd-codec-binding-wasm.js';

type Sink = (bytes: Uint8Array) => void;
interface StreamBinding {
  transform(piece: Uint8Array, sink: Sink): boolean;
  end(sink: Sink): boolean;
  delete(): void;
}
interface EmscriptenZstd {
  ZstdCompressStreamBinding: new () => StreamBinding & { begin(level: number): boolean };
  ZstdDecompressStreamBinding: new () => StreamBinding & { begin(): boolean };
}
interface Instance {
  zstd: EmscriptenZstd;
  /** Set when the module aborted (out of memory): it is unusable from then on. */
  aborted: string | undefined;
}

function instantiate(): Promise<Instance> {
  return new Promise((resolve, reject) => {
    let factory: (module: object) => unknown;
    try {
      factory = createRequire(import.meta.url)(BINDING) as (module: object) => unknown;
    } catch (error) {
      reject(new CairnError('ERR_UNSUPPORTED', `the WASM zstd (zstd-codec) cannot be loaded: ${String(error)}`, { cause: error }));
      return;
    }
    const instance: Instance = { zstd: undefined as unknown as EmscriptenZstd, aborted: undefined };
    const module = {
      print: () => {},
      printErr: () => {},
      onAbort: (what: unknown) => {
        instance.aborted = String(what);
        reject(new CairnError('ERR_UNSUPPORTED', `the WASM zstd (zstd-codec) failed to start: ${String(what)}`));
      },
      // Resolve with `instance`, not the Emscripten module object: that one is a thenable.
      onRuntimeInitialized: () => {
        instance.zstd = module as unknown as EmscriptenZstd;
        resolve(instance);
      },
    };
    factory(module);
  });
}

let cached: Promise<ZstdCodec> | undefined;

/** The WASM zstd (zstd-codec): slower than the native one, but it runs everywhere. Cached. */
export function loadWasmZstd(): Promise<ZstdCodec> {
  if (cached === undefined) {
    const loading = instantiate().then(createWasmCodec);
    loading.catch(() => {
      if (cached === loading) cached = undefined;
    });
    cached = loading;
  }
  return cached;
}

function createWasmCodec(instance: Instance): ZstdCodec {
  const forget = (): void => {
    cached = undefined; // the next loadWasmZstd() starts a fresh module
  };

  function live(): EmscriptenZstd {
    if (instance.aborted !== undefined) throw aborted(instance.aborted);
    return instance.zstd;
  }

  // Runs one streaming pass; a false return or an exception becomes a CairnError with `code`.
  function run(stream: StreamBinding, feed: () => boolean, code: 'ERR_INTEGRITY' | 'ERR_UNSUPPORTED', what: string): void {
    let ok: boolean;
    try {
      ok = feed();
    } catch (error) {
      if (instance.aborted !== undefined) {
        forget();
        throw aborted(instance.aborted);
      }
      throw new CairnError(code, `${what}: ${String(error)}`, { cause: error });
    } finally {
      if (instance.aborted === undefined) stream.delete();
    }
    if (!ok) throw new CairnError(code, what);
  }

  return {
    name: 'zstd-codec',

    compress(data: Uint8Array, level: number): Uint8Array {
      if (!(data instanceof Uint8Array)) throw new TypeError('zstd data must be a Uint8Array');
      checkZstdLevel(level);
      const parts: Uint8Array[] = [];
      let total = 0;
      const sink: Sink = (bytes) => {
        parts.push(bytes); // a fresh copy out of the WASM heap
        total += bytes.length;
      };
      const stream = new (live().ZstdCompressStreamBinding)();
      run(stream, () => {
        if (!stream.begin(Math.min(level, MAX_WASM_LEVEL))) return false;
        for (let offset = 0; offset < data.length; offset += PIECE) {
          if (!stream.transform(data.subarray(offset, offset + PIECE), sink)) return false;
        }
        return stream.end(sink);
      }, 'ERR_UNSUPPORTED', `zstd-codec could not compress ${data.length} bytes`);
      const frame = new Uint8Array(total);
      let position = 0;
      for (const part of parts) {
        frame.set(part, position);
        position += part.length;
      }
      return frame;
    },

    decompress(data: Uint8Array, rawLength: number): Uint8Array {
      checkRawLength(rawLength);
      const header = checkZstdFrame(data, rawLength);
      const window = Math.min(header.windowSize, header.contentSize ?? Infinity);
      if (window > MAX_WASM_WINDOW) {
        throw new CairnError('ERR_UNSUPPORTED', `zstd frame needs a ${window}-byte window; the WASM zstd holds at most ${MAX_WASM_WINDOW}`, {
          hint: 'install zstd-napi (the native zstd) to read it',
        });
      }
      const output = new Uint8Array(rawLength);
      let written = 0;
      let overflow = false;
      const sink: Sink = (bytes) => {
        if (overflow || written + bytes.length > rawLength) {
          overflow = true;
          return;
        }
        output.set(bytes, written);
        written += bytes.length;
      };
      const stream = new (live().ZstdDecompressStreamBinding)();
      run(stream, () => {
        if (!stream.begin()) return false;
        for (let offset = 0; offset < data.length && !overflow; offset += PIECE) {
          if (!stream.transform(data.subarray(offset, offset + PIECE), sink)) return false;
        }
        return stream.end(sink);
      }, 'ERR_INTEGRITY', 'zstd frame does not decompress');
      if (overflow || written !== rawLength) {
        throw new CairnError('ERR_INTEGRITY', `zstd frame holds ${overflow ? 'more than' : written} bytes, expected ${rawLength}`);
      }
      return output;
    },
  };
}

function aborted(what: string): CairnError {
  return new CairnError('ERR_UNSUPPORTED', `the WASM zstd (zstd-codec) aborted: ${what}`, {
    hint: 'load the codec again (loadWasmZstd) or install zstd-napi',
  });
}
