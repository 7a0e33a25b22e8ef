import { CairnError } from '@cairn/core';

/** What a zstd frame header (RFC 8878, 3.1.1.1) says about decoding the frame. */
export interface ZstdFrameHeader {
  /** Decompressed size, or null when the frame does not declare it. */
  readonly contentSize: number | null;
  /** Bytes of history the decoder must keep. */
  readonly windowSize: number;
}

const FRAME_MAGIC = 0xfd2fb528;
const DICT_ID_SIZES = [0, 1, 2, 4] as const;

/** Reads the header of the zstd frame at the start of `frame`; null when it is not one. */
export function readZstdFrameHeader(frame: Uint8Array): ZstdFrameHeader | null {
  if (frame.length < 6) return null;
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  if (view.getUint32(0, true) !== FRAME_MAGIC) return null;
  const descriptor = frame[4]!;
  if ((descriptor & 0x08) !== 0) return null; // reserved bit
  const singleSegment = (descriptor & 0x20) !== 0;
  const sizeFlag = descriptor >> 6;
  const sizeBytes = sizeFlag === 0 ? (singleSegment ? 1 : 0) : 1 << sizeFlag;
  let position = 5;
  const windowDescriptor = singleSegment ? 0 : frame[position++]!;
  position += DICT_ID_SIZES[descriptor & 3]!;
  if (frame.length < position + sizeBytes) return null;
  let contentSize: number | null = null;
  if (sizeBytes === 1) contentSize = view.getUint8(position);
  else if (sizeBytes === 2) contentSize = view.getUint16(position, true) + 256;
  else if (sizeBytes === 4) contentSize = view.getUint32(position, true);
  else if (sizeBytes === 8) contentSize = view.getUint32(position + 4, true) * 2 ** 32 + view.getUint32(position, true);
  if (singleSegment) return { contentSize, windowSize: contentSize ?? 0 };
  const windowBase = 2 ** (10 + (windowDescriptor >> 3));
  return { contentSize, windowSize: windowBase + (windowBase / 8) * (windowDescriptor & 7) };
}

/** The header of `frame`, checked against the expected size; ERR_INTEGRITY when it cannot be that blob. */
export function checkZstdFrame(frame: Uint8Array, rawLength: number): ZstdFrameHeader {
  if (!(frame instanceof Uint8Array)) throw new TypeError('zstd data must be a Uint8Array');
  const header = readZstdFrameHeader(frame);
  if (header === null) throw new CairnError('ERR_INTEGRITY', `not a zstd frame (${frame.length} bytes)`);
  if (header.contentSize !== null && header.contentSize !== rawLength) {
    throw new CairnError('ERR_INTEGRITY', `zstd frame holds ${header.contentSize} bytes, expected ${rawLength}`);
  }
  return header;
}
