import type { ZstdCodec } from './zstd-codec.js';
import { loadNativeZstd } from './zstd-native.js';
import { loadWasmZstd } from './zstd-wasm.js';

let cached: Promise<ZstdCodec> | undefined;

/** The best zstd available: the native one, else the WASM fallback. Loaded once, then cached. */
export function loadZstd(): Promise<ZstdCodec> {
  if (cached === undefined) {
    const loading = loadNativeZstd().catch(() => loadWasmZstd());
    loading.catch(() => {
      if (cached === loading) cached = undefined;
    });
    cached = loading;
  }
  return cached;
}
