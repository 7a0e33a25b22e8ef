import type { BlobCompression } from './blob-writer.js';

/** The compression choices a user names: none, zstd level 1, zstd level 3, zstd level 12. */
export type CompressionMode = 'off' | 'fast' | 'auto' | 'max';

/** Every CompressionMode, in order of effort. */
export const COMPRESSION_MODES: readonly CompressionMode[] = ['off', 'fast', 'auto', 'max'];

const SETTINGS: Record<CompressionMode, BlobCompression> = {
  off: { codec: 'none', level: 3 },
  fast: { codec: 'zstd', level: 1 },
  auto: { codec: 'zstd', level: 3 },
  max: { codec: 'zstd', level: 12 },
};

/**
 * The codec and level of a mode. Every zstd mode probes large blobs first and stores those
 * that do not shrink as they are; `max` is level 12, not 19: beyond 12 zstd gains well under
 * 1% on source-like data at a tenth of the speed.
 */
export function compressionSetting(mode: CompressionMode): BlobCompression {
  const setting = SETTINGS[mode];
  if (setting === undefined) throw new RangeError(`compression must be one of ${COMPRESSION_MODES.join(', ')}, got ${JSON.stringify(mode)}`);
  return setting;
}

/** A mode named by a user (a flag's value); RangeError naming the choices otherwise. */
export function parseCompressionMode(value: string): CompressionMode {
  if (!(COMPRESSION_MODES as readonly string[]).includes(value)) {
    throw new RangeError(`--compression wants one of ${COMPRESSION_MODES.join(', ')}, got ${JSON.stringify(value)}`);
  }
  return value as CompressionMode;
}
