import type { AsyncSubscription } from '@parcel/watcher';
import { importModule } from '@cairn/core';

/** Options of watchPaths. */
export interface WatchPathsOptions {
  /** The folders to watch, absolute (each with everything below it). */
  readonly roots: readonly string[];
  /** Absolute folders whose events are dropped by the OS watcher itself (the repository, .git internals…). */
  readonly ignoreDirs?: readonly string[];
  /** Globs (relative to each root) whose events the OS watcher drops, e.g. the VCS folders at any depth. */
  readonly ignoreGlobs?: readonly string[];
  /** Drops an event's path (policy-skipped files); may answer late. */
  ignore?(path: string): boolean | Promise<boolean>;
  /** Called with each changed path that is not ignored. */
  onChange(path: string): void;
  /** Called when the OS watcher reports an error (e.g. too many watches). */
  onError?(error: Error): void;
}

/** A running watch; close() stops it. */
export interface PathWatch {
  close(): Promise<void>;
}

/**
 * Watches folders through the OS's change notification (inotify, FSEvents, ReadDirectoryChangesW)
 * with @parcel/watcher: no periodic walk, so an idle tree costs nothing once the watches are set.
 */
export async function watchPaths(options: WatchPathsOptions): Promise<PathWatch> {
  // Loaded here, not at import: a program that bundles this module loads the native addon only when it watches.
  const { subscribe } = await importModule('@parcel/watcher', () => import('@parcel/watcher'));
  const subscriptions: AsyncSubscription[] = [];
  try {
    for (const root of options.roots) {
      const ignore = (options.ignoreDirs ?? []).filter((dir) => dir === root || dir.startsWith(`${root}/`));
      subscriptions.push(await subscribe(root, (error, events) => {
        if (error !== null && error !== undefined) {
          options.onError?.(error);
          return;
        }
        for (const event of events) {
          const verdict = options.ignore?.(event.path) ?? false;
          if (verdict === false) options.onChange(event.path);
          else if (verdict !== true) void verdict.then((skip) => (skip ? undefined : options.onChange(event.path)), () => options.onChange(event.path));
        }
      }, { ignore: [...ignore, ...(options.ignoreGlobs ?? [])] }));
    }
  } catch (error) {
    await Promise.all(subscriptions.map((s) => s.unsubscribe()));
    throw error;
  }
  return { close: async () => void (await Promise.all(subscriptions.map((s) => s.unsubscribe()))) };
}
