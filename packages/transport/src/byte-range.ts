import { CairnError } from '@cairn/core';
import type { ByteRange } from '@cairn/core';

/** Throws RangeError naming the value unless `range` has a non-negative safe-integer offset and length. */
export function assertRange(range: ByteRange): void {
  const ok = (n: unknown): boolean => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
  if (typeof range !== 'object' || range === null || !ok(range.offset) || !ok(range.length)) {
    throw new RangeError(`not a valid byte range (non-negative integer offset and length): ${JSON.stringify(range)}`);
  }
}

/** The ERR_INTEGRITY error for a read that found fewer bytes than it wanted. */
export function truncatedError(file: string, range: ByteRange, size: number): CairnError {
  return new CairnError(
    'ERR_INTEGRITY',
    `${file} is truncated: wanted ${range.length} bytes at offset ${range.offset}, file has ${size}`,
    { hint: 'run `cairn check` to see what is damaged' },
  );
}
