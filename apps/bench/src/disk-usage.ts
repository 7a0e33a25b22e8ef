import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';

/** Apparent size of everything under `path`, folders included, as `du -sb` counts it (hard links once). */
export async function diskUsage(path: string): Promise<number> {
  const seen = new Set<string>();
  const walk = async (p: string): Promise<number> => {
    const info = await lstat(p);
    const key = `${info.dev}:${info.ino}`;
    if (seen.has(key)) return 0;
    seen.add(key);
    let total = info.size;
    if (info.isDirectory()) for (const name of await readdir(p)) total += await walk(join(p, name));
    return total;
  };
  return walk(path);
}
