/**
 * The model: which snapshots the repository must hold and, for each, what a restore of it must
 * give back, taken when the snapshot was made. Commands add what a backup made and remove
 * exactly what the engine reports it forgot; the invariants hold the repository to it.
 */
import type { TreeState } from './tree-state.js';

/** What restoring a snapshot into an empty folder must give. */
export type Expectation =
  /** Exactly these entries (paths start with the snapshot's root names). */
  | { readonly kind: 'tree'; readonly entries: TreeState }
  /**
   * A pre-restore snapshot: every entry it gives back is as it was in `before` (hardlink groups
   * aside: it may hold one name of a file), and it holds at least the paths of `required`.
   */
  | { readonly kind: 'subset'; readonly before: TreeState; readonly required: readonly string[] }
  /** A git working copy backed up with `vcs: 'changes'`: its files (below `name`) and git facts. */
  | { readonly kind: 'git'; readonly name: string; readonly files: ReadonlyMap<string, string>; readonly facts: Readonly<Record<string, string>> }
  /** A board's whole file system: path -> "dir" or "file <sha256>". */
  | { readonly kind: 'board'; readonly entries: TreeState };

/** One snapshot the repository must hold. */
export interface ModelSnapshot {
  readonly id: string;
  /** The step that made it ("#3 backup alpha"), for messages. */
  readonly label: string;
  readonly hostname: string;
  readonly paths: readonly string[];
  /** Snapshot time, ms since 1970. */
  readonly time: number;
  readonly tags: readonly string[];
  /** Made by a restore with backup-existing (tagged pre-restore): holds only what a restore overwrote. */
  readonly undo: boolean;
  /** Made by protect (tagged protect): a path as it was before a change; never a backup of its paths. */
  readonly protect?: boolean;
  readonly expect: Expectation;
}

/** The whole model of one run. */
export interface Model {
  /** By id, in the order they were made. */
  readonly snapshots: Map<string, ModelSnapshot>;
  /** The time the next backup records (ms since 1970); moves forward only. */
  clock: number;
  /** Commands run so far in this run. */
  step: number;
}

/** Snapshot times start here (fixed, so a replay decides retention the same way). */
export const CLOCK_START = Date.UTC(2012, 0, 1, 9, 0, 0);

/** A new, empty model. */
export function newModel(): Model {
  return { snapshots: new Map(), clock: CLOCK_START, step: 0 };
}

/** Moves the model's clock forward by `hours` (never past yesterday: snapshots stay in the past) and returns it. */
export function advanceClock(model: Model, hours: number): Date {
  model.clock = Math.min(model.clock + hours * 3_600_000 + 1000, Date.now() - 86_400_000);
  return new Date(model.clock);
}

/** The snapshots of the model that are plain backups of one source root (restore-undo candidates; not protect snapshots). */
export function plainSnapshots(model: Model): ModelSnapshot[] {
  return [...model.snapshots.values()].filter((s) => s.expect.kind === 'tree' && !s.undo && s.protect !== true && s.paths.length === 1);
}

/** Adds a snapshot to the model (an error when the id is already there: a backup must make a new snapshot). */
export function addSnapshot(model: Model, snapshot: ModelSnapshot): void {
  if (model.snapshots.has(snapshot.id)) throw new Error(`${snapshot.label}: the engine returned snapshot ${snapshot.id.slice(0, 12)}, which already exists`);
  model.snapshots.set(snapshot.id, snapshot);
}

/** "#4 backup alpha (5d1c0a2b9f3e)" for messages. */
export function describeSnapshot(s: ModelSnapshot): string {
  return `${s.id.slice(0, 12)} (${s.label})`;
}
