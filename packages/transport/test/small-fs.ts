import { execFileSync } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { tempDir } from './temp-dir.js';

const mounts: string[] = [];
afterEach(() => {
  for (const dir of mounts.splice(0)) execFileSync('umount', ['-l', dir]);
});

/** A tmpfs of `size` (mount's size option: 1m, 4m) mounted for the current test and unmounted after it, or undefined where it cannot be mounted (not root). */
export async function smallFs(size: string): Promise<string | undefined> {
  const mnt = join(await tempDir(), 'mnt');
  await mkdir(mnt);
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', mnt], { stdio: 'pipe' });
  } catch {
    return undefined;
  }
  mounts.push(mnt);
  return mnt;
}
