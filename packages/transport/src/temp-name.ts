import { randomBytes } from 'node:crypto';

/** A fresh temporary name next to `name`: `.<name>.cairn-<random>` (shorter when `name` is long). */
export function tempNameFor(name: string): string {
  const random = randomBytes(6).toString('hex');
  return Buffer.byteLength(name) > 200 ? `.cairn-${random}` : `.${name}.cairn-${random}`;
}
