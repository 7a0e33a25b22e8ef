/**
 * @cairn/schedule/watch — the file watcher of watch mode (a native addon, @parcel/watcher, kept
 * behind this subpath so that importing @cairn/schedule never loads it).
 */
export { watchPaths } from './path-watcher.js';
export type { PathWatch, WatchPathsOptions } from './path-watcher.js';
