/**
 * @cairn/pack — the bytes of cairn's pack files and the blob codecs. A pack is blobs back to
 * back, a msgpack header listing them and a 12-byte trailer; a blob is stored as is or as one
 * zstd frame, written by the native zstd (zstd-napi, loaded only on demand) or by its WASM
 * fallback (zstd-codec). Nothing here touches files or the network: the repository does.
 */
export { PACK_TRAILER_LENGTH, TARGET_PACK_SIZE, parsePackTrailer } from './pack-trailer.js';
export type { PackHeaderLocation } from './pack-trailer.js';
export { decodePackHeader } from './pack-header.js';
export { decodePack } from './decode-pack.js';
export { createPackBuilder } from './pack-builder.js';
export type { GroupMember, IncrementalHash, PackBuilder, PackBuilderOptions, FinishedPack } from './pack-builder.js';
export { encodeBlob, encodeBlobInto, encodeDelta, encodeGroupInto, decodeBlob, decodeGroup } from './blob-codec.js';
export type { EncodedBlob, EncodeOptions } from './blob-codec.js';
export type { ZstdCodec } from './zstd-codec.js';
export { loadZstd } from './load-zstd.js';
export { createZstdCompressStream, createZstdDecompressStream } from './zstd-stream.js';
export { CIPHER_NAMES, SEALED_HEADER_LENGTH, SEGMENT_SIZE, createFileCipher, plainLengthOf, sealedLength, sealedRange } from './file-cipher.js';
export type { CipherName, FileCipher, SealedRange } from './file-cipher.js';
export { DEFAULT_SCRYPT, createMasterKey, decodeKeyFile, encodeKeyFile } from './key-file.js';
export type { KeyFile, KeyFileInfo, MasterKey, ScryptParams } from './key-file.js';
