import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** The exports of fastcdc-wasm's module (wasm-bindgen's ABI of fastcdc-wasm 0.1). */
interface FastcdcExports {
  readonly memory: { readonly buffer: ArrayBuffer };
  get_chunks(retptr: number, ptr: number, len: number, min: number, avg: number, max: number): void;
  __wbindgen_add_to_stack_pointer(delta: number): number;
  __wbindgen_malloc(size: number): number;
  __wbindgen_free(ptr: number, size: number): void;
}

/**
 * A chunker's window inside a WASM memory of its own, which fastcdc cuts where the bytes are.
 * fastcdc-wasm's `get_chunks` copies its argument into the module's memory and back on every
 * call: a second window of the same size (12 MiB with cairn's sizes) and two copies of it per cut.
 */
export interface FastcdcWindow {
  /** The window's bytes: a view of the WASM memory, taken again whenever that memory grows. */
  readonly bytes: Uint8Array;
  /** The cut offsets of window[0, length), 0 and `length` included, as fastcdc-wasm's get_chunks gives them. */
  cut(length: number, min: number, avg: number, max: number): Uint32Array;
}

/** The part of the WebAssembly global used here (the project's lib settings do not declare it). */
interface WasmApi {
  readonly Module: new (bytes: Uint8Array) => object;
  readonly Instance: new (module: object, imports: object) => { readonly exports: object };
}
const { WebAssembly: wasmApi } = globalThis as unknown as { WebAssembly: WasmApi };

let compiled: object | undefined;

/** fastcdc-wasm's module, compiled once per process from the package's own .wasm file. */
function fastcdcModule(): object {
  if (compiled === undefined) {
    const main = createRequire(import.meta.url).resolve('fastcdc-wasm');
    compiled = new wasmApi.Module(readFileSync(join(dirname(main), 'fastcdc_wasm_bg.wasm')));
  }
  return compiled;
}

/**
 * Allocates a window of `size` bytes in a new instance of fastcdc-wasm's module: its memory is
 * this chunker's alone, so no other chunker grows it (which would detach the views handed out),
 * and it is freed with the chunker. Pages the window never reaches are never resident.
 */
export function createFastcdcWindow(size: number): FastcdcWindow {
  const wasm = new wasmApi.Instance(fastcdcModule(), {}).exports as unknown as FastcdcExports;
  const ptr = wasm.__wbindgen_malloc(size);
  let bytes = new Uint8Array(wasm.memory.buffer, ptr, size);
  return {
    get bytes() {
      // A grown memory has a new buffer (the old one is detached): view the window anew.
      if (bytes.buffer !== wasm.memory.buffer) bytes = new Uint8Array(wasm.memory.buffer, ptr, size);
      return bytes;
    },
    cut(length, min, avg, max) {
      if (!Number.isInteger(length) || length < 0 || length > size) throw new RangeError(`fastcdc window: length must be within [0, ${size}], not ${length}`);
      const retptr = wasm.__wbindgen_add_to_stack_pointer(-16);
      try {
        wasm.get_chunks(retptr, ptr, length, min, avg, max);
        const words = new Int32Array(wasm.memory.buffer, retptr, 2);
        const [at = 0, count = 0] = words;
        const offsets = new Uint32Array(wasm.memory.buffer, at, count).slice();
        wasm.__wbindgen_free(at, count * 4);
        return offsets;
      } finally {
        wasm.__wbindgen_add_to_stack_pointer(16);
      }
    },
  };
}
