import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import type { EntryDecision, EntrySelector, Id, NodeType, PreviousWorkingCopy, SelectedWorkingCopy, WorkingCopyMode } from '@cairn/core';
import { enclosingWorkingCopy, VCS_META_NAMES, workingCopyAt } from '../detect.js';
import { createPolicy } from '../policy/policy.js';
import type { Policy, PolicyDecision } from '../policy/policy.js';
import type { PolicyOptions } from '../policy/options.js';
import type { PolicyFs } from '../policy/policy-fs.js';
import type { VcsStatus, WorkingCopy } from '../types.js';
import { extrasFingerprint, readWorkingCopy, saveExtras } from '../working-copy.js';

/** How a backup treats working copies: not at all, everything plus their state, or only what the remote lacks. */
export type VcsBackupMode = 'off' | WorkingCopyMode;

/** Options of createProjectSelector. */
export interface ProjectSelectorOptions {
  /** The backup's paths, absolute (as the local source resolves them). */
  readonly roots: readonly string[];
  /** Default 'full'. */
  readonly vcs?: VcsBackupMode;
  /** The policy of each root folder, or null to store everything under it. Default: none. */
  readonly policy?: (root: string) => PolicyOptions | null;
  /** Called when a working copy is found and read (for progress and messages). */
  readonly onWorkingCopy?: (copy: WorkingCopy, status: VcsStatus) => void;
  readonly signal?: AbortSignal;
}

/** A working copy met during the walk. */
interface Scope {
  readonly copy: WorkingCopy;
  readonly status: VcsStatus;
  /** 'full' for a copy the backup starts inside of: its files are not all in the snapshot. */
  readonly mode: WorkingCopyMode;
  /** Where the record says it is: its root, or the backup path inside it. */
  readonly at: string;
  /** Folders (relative to the root) that hold tracked files: a policy never skips them. */
  trackedDirs?: Set<string>;
  /** `changes` mode: the extras being written (started when the copy is found, so git works while the walk goes on), and what they could not keep. */
  readonly extras: Promise<string> | null;
  readonly warnings?: string[];
  /** `changes` mode: the parent's extras, kept because their fingerprint is unchanged. */
  readonly reuse?: Id;
  readonly extrasKey?: string;
}

const STORE: EntryDecision = { action: 'store' };
const storeAll = (): EntryDecision => STORE;

/**
 * An EntrySelector for local folders: applies each root's policy (presets, .gitignore, globs;
 * skipped entries are reported, never silent), and reads every working copy it meets through
 * its VCS. In `changes` mode the VCS folder is replaced by the extras (bundle of local commits,
 * stashes, config, hooks) and clean files whose commit a remote has are recorded by reference.
 * Files the VCS tracks are never skipped by a policy.
 */
export function createProjectSelector(options: ProjectSelectorOptions): EntrySelector {
  const mode = options.vcs ?? 'full';
  /** The listings kept: of the folder the walk is in and those above it, outermost first (a few, so looked up from the top). */
  const listings = new OpenListings();
  const fs = walkedFs(listings);
  // `below`: what the paths under the root start with (made once: rootOf runs for every entry).
  const roots = options.roots.map((root) => ({ root, below: root === '/' ? '/' : `${root}/`, policy: policyFor(root, options.policy, fs) }));
  const policed = roots.some(({ policy }) => policy !== null);
  const scopes: Scope[] = [];
  const temporary: string[] = [];
  const rootsEntered = new Set<string>();
  let previous: (root: string) => PreviousWorkingCopy | undefined = () => undefined;

  const scopeOf = (path: string): Scope | undefined => {
    for (let i = scopes.length - 1; i >= 0; i -= 1) {
      const scope = scopes[i]!;
      if (path.startsWith(`${scope.copy.root}/`) || (scope.copy.root === '/' && path.startsWith('/'))) return scope;
    }
    return undefined;
  };
  const rootOf = (path: string): { root: string; policy: Policy | null } | undefined =>
    roots.find(({ root, below }) => path === root || path.startsWith(below));

  const addScope = async (copy: WorkingCopy, scopeMode: WorkingCopyMode, at: string): Promise<void> => {
    if (scopes.some((scope) => scope.copy.root === copy.root)) return;
    const signal = options.signal === undefined ? {} : { signal: options.signal };
    const status = await readWorkingCopy(copy, { ...signal, references: scopeMode === 'changes' });
    options.onWorkingCopy?.(copy, status);
    if (scopeMode !== 'changes') {
      scopes.push({ copy, status, mode: scopeMode, at, extras: null });
      return;
    }
    const extrasKey = await extrasFingerprint(status);
    const before = previous(at);
    if (extrasKey !== null && before !== undefined && before.extrasKey === extrasKey) {
      scopes.push({ copy, status, mode: scopeMode, at, extras: null, reuse: before.extras, extrasKey });
      return;
    }
    const warnings: string[] = [];
    const extras = mkdtemp(join(tmpdir(), 'cairn-extras-')).then(async (dir) => {
      temporary.push(dir);
      warnings.push(...(await saveExtras(status, dir, signal)).warnings);
      return dir;
    });
    extras.catch(() => undefined); // awaited in finish(); a walk that fails first must not leave it unhandled
    scopes.push({ copy, status, mode: scopeMode, at, extras, warnings, ...(extrasKey === null ? {} : { extrasKey }) });
  };

  /** enterDir's reading of the working copies that `path` starts or holds. */
  const enterWorkingCopies = async (path: string, names: readonly string[], atRoot: boolean, copyMode: WorkingCopyMode): Promise<void> => {
    if (atRoot) {
      rootsEntered.add(path);
      // A backup that starts inside a working copy records its state; its files are stored.
      const enclosing = await enclosingWorkingCopy(path);
      if (enclosing !== null && enclosing.root !== path) await addScope(enclosing, 'full', path);
    }
    if (holdsVcsMeta(names)) {
      const copy = await workingCopyAt(path);
      if (copy !== null) await addScope(copy, copyMode, path);
    }
  };

  return {
    begin(lookup) {
      previous = lookup;
    },

    // A promise only where a working copy is read (a backup path, a folder holding a VCS's folder).
    enterDir(path, names) {
      if (policed) {
        // What the policies read, kept only when there are some, and only for the folders the walk is in.
        listings.enter(path, names);
      }
      if (mode === 'off') return undefined;
      const atRoot = !rootsEntered.has(path) && roots.some(({ root }) => root === path);
      return atRoot || holdsVcsMeta(names) ? enterWorkingCopies(path, names, atRoot, mode) : undefined;
    },

    // Synchronous once the policy knows the folder (see Policy.decideNow): a promise only for the first entries of a folder.
    decide(path, type) {
      const scope = mode === 'off' ? undefined : scopeOf(path);
      const owner = rootOf(path);
      if (scope === undefined) return owner?.policy == null ? STORE : policyDecision(owner.policy, owner.root, path, type);
      const rel = path.slice(scope.copy.root.length + 1);
      const slash = rel.indexOf('/');
      if (VCS_META_NAMES.has(slash < 0 ? rel : rel.slice(0, slash))) {
        if (scope.mode === 'changes' && slash < 0) {
          return { action: 'skip', class: 'vcs', reason: `the ${scope.copy.vcs} data of ${scope.copy.root}: what the remote lacks is stored as extras` };
        }
        return STORE; // the VCS folder and what it holds, in full mode
      }
      const ruled = owner?.policy == null ? STORE : policyDecision(owner.policy, owner.root, path, type);
      return ruled instanceof Promise ? ruled.then((decision) => inScope(scope, rel, type, decision)) : inScope(scope, rel, type, ruled);
    },

    // A folder outside every working copy whose policy decides its entries by name: one rule for all of them.
    byName(path) {
      // (`below` made only when there is a working copy or another backup path to compare it with.)
      const below = scopes.length === 0 && roots.length === 1 ? '' : path === '/' ? '/' : `${path}/`;
      if (mode !== 'off' && scopes.length > 0 && scopeOf(below) !== undefined) return undefined;
      const owner = rootOf(path);
      // Another backup path at or below this folder's entries is decided by decide() (it is its own root).
      if (owner === undefined || (roots.length > 1 && roots.some(({ root }) => root !== owner.root && root.startsWith(below)))) return undefined;
      if (owner.policy === null) return storeAll;
      // The policy's decisions are EntryDecisions as they are (its stored ones shared, one per class); the walk's listing spares it one.
      return owner.policy.byName(path === owner.root ? '' : path.slice(owner.root === '/' ? 1 : owner.root.length + 1), listings.get(path));
    },

    async finish() {
      const found: SelectedWorkingCopy[] = [];
      for (const scope of scopes) {
        found.push({
          root: scope.at, mode: scope.mode, state: JSON.stringify(scope.status.state), extras: await scope.extras,
          ...(scope.warnings === undefined || scope.warnings.length === 0 ? {} : { warnings: scope.warnings }),
          ...(scope.reuse === undefined ? {} : { reuse: scope.reuse }),
          ...(scope.extrasKey === undefined ? {} : { extrasKey: scope.extrasKey }),
        });
      }
      return found;
    },

    async close() {
      await Promise.allSettled(scopes.map((scope) => scope.extras));
      await Promise.all(temporary.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
    },
  };
}

/** The listings of the folders a walk is in, outermost first. */
class OpenListings {
  private readonly paths: string[] = [];
  private readonly names: (readonly string[])[] = [];

  /** Keeps the listing of the folder the walk enters: a folder not below the last one means the walk is done with that one. */
  enter(path: string, names: readonly string[]): void {
    while (this.paths.length > 0 && !isBelow(path, this.paths[this.paths.length - 1]!)) {
      this.paths.pop();
      this.names.pop();
    }
    this.paths.push(path);
    this.names.push(names);
  }

  get(path: string): readonly string[] | undefined {
    for (let i = this.paths.length - 1; i >= 0; i -= 1) if (this.paths[i] === path) return this.names[i];
    return undefined;
  }
}

/** Whether `path` is below the folder `folder` ('/' holds every other absolute path). */
function isBelow(path: string, folder: string): boolean {
  if (folder === '/') return true;
  return path.length > folder.length && path.charCodeAt(folder.length) === 47 && path.startsWith(folder);
}

/** Whether a folder's `names` hold a VCS's own folder (.git, .hg, .svn). */
function holdsVcsMeta(names: readonly string[]): boolean {
  // Each starts with '.': most names are not looked up.
  for (const name of names) if (name.charCodeAt(0) === 46 && VCS_META_NAMES.has(name)) return true;
  return false;
}

/** The decision for the entry `rel` of a working copy's scope, from its policy's `decision`. */
function inScope(scope: Scope, rel: string, type: NodeType, decision: RuledDecision): EntryDecision {
  // The user's own exclude globs win; presets and .gitignore never drop what the VCS tracks.
  const byUser = decision.action === 'skip' && decision.rule === 'exclude';
  if (type === 'file') {
    if (byUser) return decision;
    const ref = scope.mode === 'changes' ? scope.status.reference(rel) : null;
    if (ref !== null) return { action: 'reference', ref: { id: ref.id, commit: ref.commit }, ...classOf(decision) };
    if (decision.action === 'skip' && tracked(scope.status.lookup(rel).status)) return { action: 'store', ...classOf(decision) };
    return decision;
  }
  if (type === 'dir' && decision.action === 'skip' && !byUser && trackedDirs(scope).has(rel)) return { action: 'store', ...classOf(decision) };
  return decision;
}

function policyFor(root: string, choose: ProjectSelectorOptions['policy'], fs: PolicyFs): Policy | null {
  const options = choose?.(root) ?? null;
  return options === null ? null : createPolicy(root, { ...options, fs });
}

/**
 * What a policy reads, answered from the listings the walk already made: a folder's names are
 * not read twice, and a .gitignore is read (synchronously, like the local source) only where
 * the listing has one.
 */
function walkedFs(listings: OpenListings): PolicyFs {
  const readdirNow = (path: string): readonly string[] => {
    const known = listings.get(path);
    if (known !== undefined) return known;
    try {
      return readdirSync(path);
    } catch {
      return [];
    }
  };
  const readTextNow = (path: string): string | null => {
    if (listings.get(dirname(path))?.includes(basename(path)) === false) return null;
    try {
      return readFileSync(path, 'utf8');
    } catch {
      return null;
    }
  };
  // All synchronous (see createLocalSource): the policy decides every entry without a promise.
  return { readdir: async (path) => readdirNow(path), readText: async (path) => readTextNow(path), readdirSync: readdirNow, readTextSync: readTextNow };
}

/** An EntryDecision with the policy rule that made it. */
type RuledDecision = EntryDecision & { readonly rule?: PolicyDecision['rule'] };

/** A policy's decision as an EntryDecision, with the rule that made it: at once when the policy knows it (decideNow), else a promise. */
function policyDecision(policy: Policy, root: string, path: string, type: NodeType): RuledDecision | Promise<RuledDecision> {
  if (path === root) return STORE;
  const rel = path.slice(root === '/' ? 1 : root.length + 1);
  const kind = type === 'dir' ? 'dir' : 'file';
  const now = policy.decideNow(rel, kind);
  return now === undefined ? policy.decide(rel, kind).then(ruledDecision) : ruledDecision(now);
}

const STORE_CLASS = new Map<string, RuledDecision>();

function ruledDecision(decision: PolicyDecision): RuledDecision {
  if (decision.action === 'skip') return { action: 'skip', class: decision.class, reason: decision.reason, rule: decision.rule };
  // One object per class: most entries are stored.
  let stored = STORE_CLASS.get(decision.class);
  if (stored === undefined) {
    stored = Object.freeze({ action: 'store', class: decision.class });
    STORE_CLASS.set(decision.class, stored);
  }
  return stored;
}

function classOf(decision: EntryDecision): { class?: string } {
  return decision.class === undefined ? {} : { class: decision.class };
}

function tracked(status: string): boolean {
  return status !== 'untracked' && status !== 'ignored';
}

function trackedDirs(scope: Scope): Set<string> {
  if (scope.trackedDirs === undefined) {
    const dirs = new Set<string>();
    for (const [path, file] of scope.status.files) {
      if (!tracked(file.status)) continue;
      for (let end = path.lastIndexOf('/'); end > 0; end = path.lastIndexOf('/', end - 1)) dirs.add(path.slice(0, end));
    }
    scope.trackedDirs = dirs;
  }
  return scope.trackedDirs;
}
