const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'] as const;

/** How formatBytes writes a number. */
export interface FormatBytesOptions {
  /** Decimals after the point for KiB and up; default: two below 10 ("1.50 MiB"), one from 10 ("12.3 MiB"). */
  readonly decimals?: number;
}

/**
 * A byte count for people, in binary units: "512 B", "1.50 MiB", "12.3 GiB" (TiB at most).
 * The one byte formatter of cairn: the CLI's lines and the engine's messages both use it.
 */
export function formatBytes(bytes: number, options: FormatBytesOptions = {}): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  if (unit === 0) return `${bytes} B`;
  return `${value.toFixed(options.decimals ?? (value < 10 ? 2 : 1))} ${UNITS[unit]}`;
}
