import { homedir } from 'node:os';
import { join } from 'node:path';

/** Where cairn keeps caches: $XDG_CACHE_HOME/cairn, else ~/.cache/cairn. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env['XDG_CACHE_HOME'];
  return join(xdg !== undefined && xdg !== '' ? xdg : join(homedir(), '.cache'), 'cairn');
}
