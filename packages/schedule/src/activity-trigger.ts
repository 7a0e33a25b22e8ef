import type { Clock } from './clock.js';

/** What changed since the last backup, when the trigger fires. */
export interface ActivitySummary {
  /** The distinct paths that changed. */
  readonly files: number;
  /** Their sizes now, as `measure` reported them (0 without it). */
  readonly bytes: number;
  /** When the first and the last change of the burst came. */
  readonly first: number;
  readonly last: number;
  /** 'settled': quiet for the settle time; 'max-wait': changes kept coming for the longest wait. */
  readonly why: 'settled' | 'max-wait';
}

/** Options of createActivityTrigger. */
export interface ActivityTriggerOptions {
  readonly clock: Clock;
  /** How long changes must be quiet before a backup (ms). */
  readonly settle: number;
  /** While changes keep coming, a backup at least this often (ms); default none (wait for quiet). */
  readonly maxWait?: number;
  /** A change is significant (worth a backup) from this many changed files (default 1)… */
  readonly minFiles?: number;
  /** …or this many bytes in the changed files (default: no byte threshold). */
  readonly minBytes?: number;
  /** True when the changes count as significant whatever the thresholds (e.g. one touches a tracked file of a working copy). */
  significant?(paths: readonly string[]): Promise<boolean>;
  /** The bytes of the changed paths (for minBytes). */
  measure?(paths: readonly string[]): Promise<number>;
  /** Called once per settled, significant burst of changes. */
  fire(summary: ActivitySummary): void;
}

/** Collects change notices and decides when they are worth a backup; see createActivityTrigger. */
export interface ActivityTrigger {
  /** A path changed (created, written, removed or renamed). */
  change(path: string): void;
  /** Changes waiting for the settle time. */
  pending(): number;
  /** Forgets the pending changes and cancels the timers. */
  stop(): void;
}

/**
 * The watch mode's trigger: a burst of changes (a `git checkout` of 2,000 files) becomes one
 * backup once it has been quiet for the settle time, at most every `maxWait` while changes keep
 * coming, and only when the changes are significant (files or bytes over a threshold, or what
 * the caller's `significant` says, such as a tracked file of a working copy); below it,
 * changes add up until they are. It sets timers only while changes are pending: idle costs nothing.
 */
export function createActivityTrigger(options: ActivityTriggerOptions): ActivityTrigger {
  const { clock, settle } = options;
  if (!(settle >= 0)) throw new RangeError(`createActivityTrigger: settle must be a number of ms >= 0, got ${String(settle)}`);
  const minFiles = options.minFiles ?? 1;
  const paths = new Set<string>();
  let first = 0;
  let last = 0;
  let settleTimer: (() => void) | null = null;
  let maxTimer: (() => void) | null = null;
  let deciding = false;

  const cancel = (): void => {
    settleTimer?.();
    maxTimer?.();
    settleTimer = null;
    maxTimer = null;
  };

  async function decide(why: ActivitySummary['why']): Promise<void> {
    cancel();
    if (paths.size === 0 || deciding) return;
    deciding = true;
    try {
      const list = [...paths];
      const bytes = options.measure === undefined ? 0 : await options.measure(list);
      const significant = list.length >= minFiles || (options.minBytes !== undefined && bytes >= options.minBytes) || (await options.significant?.(list)) === true;
      if (!significant) return; // keep adding up; the next change arms the timers again
      const summary: ActivitySummary = { files: list.length, bytes, first, last, why };
      for (const path of list) paths.delete(path);
      options.fire(summary);
    } finally {
      // Changes that came while measuring armed their own timers (change() always does).
      deciding = false;
    }
  }

  function arm(): void {
    settleTimer?.();
    settleTimer = clock.setTimer(settle, () => void decide('settled'));
    if (options.maxWait !== undefined && maxTimer === null) {
      maxTimer = clock.setTimer(Math.max(0, first + options.maxWait - clock.now()), () => void decide('max-wait'));
    }
  }

  return {
    change(path) {
      const now = clock.now();
      if (paths.size === 0) first = now;
      last = now;
      paths.add(path);
      arm();
    },
    pending: () => paths.size,
    stop() {
      cancel();
      paths.clear();
    },
  };
}
