/**
 * @cairn/pack — the bytes of cairn's pack files and the blob codecs. A pack is blobs back to
 * back, a msgpack header listing them and a 12-byte trailer; a blob is stored as is or as one
 * zstd frame, written by the native zstd (zstd-napi, loaded only on demand) or by its WASM
 * fallback (zstd-codec). Nothing here touches files or the network: the repository does.
 */
export { PACK_MAGIC, PACK_TRAILER_LENGTH, PACK_FORMAT_VERSION, TARGET_PACK_SIZE, parsePackTrailer } from './pack-trailer.js';
export type { PackHeaderLocation } from './pack-trailer.js';
export { decodePackHeader } from './pack-header.js';
export { decodePack } from './decode-pack.js';
export { createPackBuilder } from './pack-builder.js';
export type { PackBuilder, PackBuilderOptions, FinishedPack } from './pack-builder.js';
export { encodeBlob, encodeBlobInto, decodeBlob, MIN_COMPRESSED_BLOB, PROBE_MIN_BLOB } from './blob-codec.js';
export type { EncodedBlob, EncodeOptions } from './blob-codec.js';
export { MIN_ZSTD_LEVEL, MAX_ZSTD_LEVEL, DEFAULT_ZSTD_LEVEL } from './zstd-codec.js';
export type { ZstdCodec } from './zstd-codec.js';
export { loadNativeZstd } from './zstd-native.js';
export { loadWasmZstd } from './zstd-wasm.js';
export { loadZstd } from './load-zstd.js';
