import { createHash, randomBytes } from 'node:crypto';

/** A fresh temporary name next to `name`: `.<name>.cairn-<random>` (shorter when `name` is long). */
export function tempNameFor(name: string): string {
  const random = randomBytes(6).toString('hex');
  return Buffer.byteLength(name) > 200 ? `.cairn-${random}` : `.${name}.cairn-${random}`;
}

/**
 * The name a restore writes a file under before renaming it over `name`: `.<name>.cairn-partial`
 * (`.cairn-partial-<hash of name>` when `name` is long). The same on every run, so a restore
 * killed while writing a file leaves one such name, which the next restore of that file removes.
 */
export function partialNameFor(name: string): string {
  if (Buffer.byteLength(name) <= 200) return `.${name}.cairn-partial`;
  return `.cairn-partial-${createHash('sha256').update(name).digest('hex').slice(0, 16)}`;
}
