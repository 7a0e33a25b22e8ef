import { CairnError } from '@cairn/core';
import { describeValue } from './describe-value.js';

/** The format version this code writes and the only one it reads. */
export const FORMAT_VERSION = 1;

/**
 * Throws ERR_VERSION when `found` is a version other than FORMAT_VERSION; returns
 * false (for the caller's ERR_FORMAT) when it is not a version number at all.
 */
export function checkFormatVersion(found: unknown, where: string): boolean {
  const version = typeof found === 'bigint' ? Number(found) : found;
  if (typeof version !== 'number' || !Number.isInteger(version)) return false;
  if (version !== FORMAT_VERSION) {
    throw new CairnError('ERR_VERSION', `${where} has format version ${describeValue(version)}; this cairn reads version ${FORMAT_VERSION}`, {
      hint: 'upgrade cairn to read it',
    });
  }
  return true;
}
