import { resolve } from 'node:path';
import type { NodeType } from '@cairn/core';
import picomatch from 'picomatch';
import { checkRelativePath } from '../status.js';
import { classifyName } from './classify.js';
import { GitignoreTree } from './gitignore.js';
import { DEFAULT_SECRET_PATTERNS, DEFAULT_SKIP_CLASSES, policyOptionErrors } from './options.js';
import type { PolicyOptions } from './options.js';
import { localPolicyFs, pathBelow } from './policy-fs.js';
import type { PolicyFs } from './policy-fs.js';
import { GLOB_CHARS, matchRule, presetsFor, segmentMatcher, STACK_NAMES, STACK_PRESETS } from './presets.js';
import type { FileClass, PresetRule, StackPreset } from './presets.js';

/** What a policy says about one path. For a folder, 'store' means: walk into it and decide its entries one by one. */
export interface PolicyDecision {
  readonly class: FileClass;
  readonly action: 'store' | 'skip';
  /** A sentence naming the rule that decided ("node preset (package.json in web): node_modules is dependency"). */
  readonly reason: string;
  readonly rule: 'include' | 'exclude' | 'preset' | 'gitignore' | 'secret' | 'default';
}

/** Decides, path by path, what a backup of one folder stores. */
export interface Policy {
  /** The absolute folder paths are relative to. */
  readonly root: string;
  /** The decision for `path` (relative to the root, '/'-separated), a file unless `kind` is 'dir'. */
  decide(path: string, kind?: 'file' | 'dir'): Promise<PolicyDecision>;
  /**
   * decide's answer without waiting, or undefined when it needs a folder listing or a .gitignore
   * not read yet (decide reads them; after it, the entries of that folder are decided here).
   */
  decideNow(path: string, kind?: 'file' | 'dir'): PolicyDecision | undefined;
  /**
   * When no glob and no .gitignore reaches the entries of `folder` (relative to the root, '' for
   * the root itself), so that each is decided by its name (and the presets of the folders above
   * it): that decision, given the entry's name and kind ('dir' for a folder, any other kind is
   * decided as a file), the same as decideNow's. Undefined otherwise, or while a listing or a
   * .gitignore it needs is not read yet. `names`, the folder's entries when the caller has them,
   * spare a listing; fastest when asked folder by folder as a walk goes (a folder after its parent).
   */
  byName(folder: string, names?: readonly string[]): ((name: string, kind: NodeType) => PolicyDecision) | undefined;
}

interface Glob {
  readonly pattern: string;
  readonly test: (path: string) => boolean;
}

function globs(patterns: readonly string[]): Glob[] {
  return patterns.map((pattern) => ({ pattern, test: picomatch(pattern, { dot: true, basename: !pattern.includes('/') }) }));
}

/** The first glob matching `path` or one of its folders. */
function firstMatch(list: readonly Glob[], path: string): Glob | undefined {
  if (list.length === 0) return undefined;
  for (let end = path.length; end > 0; end = path.lastIndexOf('/', end - 1)) {
    const prefix = path.slice(0, end);
    const hit = list.find((glob) => glob.test(prefix));
    if (hit !== undefined) return hit;
  }
  return undefined;
}

/**
 * A policy for the tree at `root`. In order: user include globs store (over everything), user
 * exclude globs skip, stack presets (chosen by marker files in each folder) class generated and
 * dependency folders and files, .gitignore rules class what they exclude as generated — except
 * secrets (.env, keys), kept by default — and everything else is classed by name (source, config,
 * asset) and stored. Classes in `skipClasses` are skipped, with the reason, never silently.
 */
export function createPolicy(root: string, options: PolicyOptions & { readonly fs?: PolicyFs } = {}): Policy {
  if (typeof root !== 'string' || root === '') throw new TypeError(`createPolicy: root must be a folder path, got ${JSON.stringify(root)}`);
  const { fs = localPolicyFs, ...policyOptions } = options;
  const errors = policyOptionErrors(policyOptions, 'options');
  if (errors.length > 0) throw new TypeError(`createPolicy: ${errors.join('; ')}`);
  const top = resolve(root);
  const enabled = policyOptions.presets === false ? [] : policyOptions.presets === true || policyOptions.presets === undefined ? STACK_NAMES : policyOptions.presets;
  const skipClasses = new Set(policyOptions.skipClasses ?? DEFAULT_SKIP_CLASSES);
  const includes = globs(policyOptions.include ?? []);
  const excludes = globs(policyOptions.exclude ?? []);
  const secrets = picomatch([...(policyOptions.secrets ?? DEFAULT_SECRET_PATTERNS)], { dot: true, basename: true });
  const keepSecrets = policyOptions.keepIgnoredSecrets !== false;
  const gitignore = policyOptions.gitignore === false ? null : new GitignoreTree(fs, top);
  /** A folder's presets, with its names when it has some (for naming the marker): a folder without any keeps no list. */
  type FolderPresets = { readonly presets: readonly StackPreset[]; readonly names: readonly string[] };
  const folderPresetsOf = (names: readonly string[]): FolderPresets => {
    const found = presetsFor(names);
    if (found.length === 0) return NO_PRESETS; // most folders: nothing made
    const presets = found.filter((preset) => enabled.includes(preset.stack));
    return { names: presets.length === 0 ? NO_LINKS : names, presets };
  };
  const folderPresets = new Map<string, Promise<FolderPresets>>();
  /** The listings read so far, for decideNow. */
  const knownPresets = new Map<string, FolderPresets>();

  function presetsAt(folder: string): Promise<FolderPresets> {
    let found = folderPresets.get(folder);
    if (found === undefined) {
      found = fs.readdir(pathBelow(top, folder)).then((names) => {
        const known = folderPresetsOf(names);
        knownPresets.set(folder, known);
        return known;
      });
      folderPresets.set(folder, found);
    }
    return found;
  }

  /** The presets of `folder` when known, read at once when the fs can (readdirSync). */
  function presetsNow(folder: string): FolderPresets | undefined {
    const known = knownPresets.get(folder);
    if (known !== undefined || fs.readdirSync === undefined || folderPresets.has(folder)) return known;
    return keepPresets(folder, folderPresetsOf(fs.readdirSync(pathBelow(top, folder))));
  }

  /** Keeps `known`, the presets of `folder`, for presetsNow and presetsAt; returns it. */
  function keepPresets(folder: string, known: FolderPresets): FolderPresets {
    knownPresets.set(folder, known);
    folderPresets.set(folder, Promise.resolve(known));
    return known;
  }

  /** The folders whose markers may choose a preset for `path`: the root ('') and each folder above it. */
  function foldersAbove(path: string): string[] {
    const folders = [''];
    for (let cut = path.indexOf('/'); cut >= 0; cut = path.indexOf('/', cut + 1)) folders.push(path.slice(0, cut));
    return folders;
  }

  type ChainLink = { readonly depth: number; readonly folder: string; readonly known: FolderPresets };
  /** For the entries of a folder: the folders from the root down to it that hold a preset, outermost first (once all of them are listed). */
  const presetChains = new Map<string, readonly ChainLink[]>();

  function presetChain(parent: string): readonly ChainLink[] | undefined {
    let chain = presetChains.get(parent);
    if (chain === undefined) {
      // The chain of the folder above, and this folder's own link: one listing looked up per folder, not one per folder above it.
      const cut = parent.lastIndexOf('/');
      const above = parent === '' ? NO_LINKS : presetChain(cut < 0 ? '' : parent.slice(0, cut));
      if (above === undefined) return undefined;
      const known = presetsNow(parent);
      if (known === undefined) return undefined;
      chain = known.presets.length === 0 ? above : [...above, { depth: depthOf(parent), folder: parent, known }];
      presetChains.set(parent, chain);
    }
    return chain;
  }

  /** The outermost preset rule covering `path`, with the folder whose marker chose it; UNKNOWN when a folder above it was not listed yet. */
  function presetRule(path: string, isDir: boolean): PresetHit | undefined | typeof UNKNOWN {
    const cut = path.lastIndexOf('/');
    const chain = presetChain(cut < 0 ? '' : path.slice(0, cut));
    if (chain === undefined) return UNKNOWN;
    if (chain.length === 0) return undefined;
    const segments = path.split('/');
    for (const { depth, folder, known } of chain) {
      const { presets, names } = known;
      for (const preset of presets) {
        const rule = matchRule(preset, segments.slice(depth), isDir);
        if (rule === undefined) continue;
        const test = picomatch(preset.markers as string[], { dot: true });
        return { rule, preset, folder, marker: names.find((name) => test(name)) ?? preset.markers[0] ?? '' };
      }
    }
    return undefined;
  }

  /** An include glob that may match something inside folder `dir` (globs without '/' do not reach into skipped folders). */
  function reachesInside(dir: string): string | undefined {
    for (const { pattern } of includes) {
      if (!pattern.includes('/')) continue;
      const base = picomatch.scan(pattern).base;
      if (base === '' || base === dir || base.startsWith(`${dir}/`) || dir.startsWith(`${base}/`)) return pattern;
    }
    return undefined;
  }

  /**
   * The last folder whose entries nothing but their names decides (no glob, no preset, no
   * .gitignore reaches them), so that its next entries are decided without a lookup: the walk
   * decides a folder's entries one after another.
   */
  let plainFolder: string | null = null;

  /** `path` is an entry of plainFolder (checked without making its folder's path). */
  function inPlainFolder(path: string): boolean {
    const folder = plainFolder;
    if (folder === null) return false;
    const n = folder.length;
    if (n === 0) return !path.includes('/');
    return path.length > n + 1 && path.charCodeAt(n) === 47 && path.startsWith(folder) && path.indexOf('/', n + 1) < 0;
  }

  function isPlain(parent: string): boolean {
    return includes.length === 0 && excludes.length === 0 && presetChain(parent)?.length === 0 && (gitignore === null || gitignore.reachesNoEntryOf(parent));
  }

  async function decide(path: string, kind: 'file' | 'dir' = 'file'): Promise<PolicyDecision> {
    const now = decideNow(path, kind);
    if (now !== undefined) return now;
    // Reads what decideNow lacked: the listings of the folders above, and the .gitignore files that apply.
    await Promise.all(foldersAbove(path).map((folder) => presetsAt(folder)));
    await gitignore?.test(path, kind === 'dir');
    return decideNow(path, kind) ?? Promise.reject(new Error(`decide: ${path} still undecided after its folders were read`));
  }

  function decideNow(path: string, kind: 'file' | 'dir' = 'file'): PolicyDecision | undefined {
    checkRelativePath(path, 'decide');
    if (kind !== 'file' && kind !== 'dir') throw new RangeError(`decide: kind must be 'file' or 'dir', got ${JSON.stringify(kind)}`);
    const isDir = kind === 'dir';
    if (path === '') return { class: 'source', action: 'store', reason: 'the root of the backup', rule: 'default' };
    const cut = path.lastIndexOf('/');
    // What the rules below give when none reaches the folder: stored, classed by name.
    if (inPlainFolder(path)) return byNameOnly(path.slice(cut + 1), kind);
    const parent = cut < 0 ? '' : path.slice(0, cut);
    if (isPlain(parent)) {
      plainFolder = parent;
      return byNameOnly(path.slice(cut + 1), kind);
    }
    const preset = presetRule(path, isDir);
    if (preset === UNKNOWN) return undefined;
    const natural: FileClass = preset?.rule.class ?? (isDir ? 'source' : classifyName(path.slice(path.lastIndexOf('/') + 1)));
    const included = firstMatch(includes, path);
    if (included !== undefined) return { class: natural, action: 'store', reason: `included by the glob "${included.pattern}"`, rule: 'include' };
    const inside = isDir ? reachesInside(path) : undefined;
    const excluded = firstMatch(excludes, path);
    if (excluded !== undefined) {
      if (inside !== undefined) return { class: natural, action: 'store', reason: `excluded by the glob "${excluded.pattern}", entered because "${inside}" may include paths inside`, rule: 'exclude' };
      return { class: natural, action: 'skip', reason: `excluded by the glob "${excluded.pattern}"`, rule: 'exclude' };
    }
    if (preset !== undefined) {
      const where = preset.folder === '' ? preset.marker : `${preset.folder}/${preset.marker}`;
      const what = `${preset.preset.stack} preset (${where}): ${preset.rule.name} is ${preset.rule.class}`;
      if (!skipClasses.has(preset.rule.class)) return { class: natural, action: 'store', reason: `${what}, a class that is kept`, rule: 'preset' };
      if (inside !== undefined) return { class: natural, action: 'store', reason: `${what}, entered because "${inside}" may include paths inside`, rule: 'preset' };
      return { class: natural, action: 'skip', reason: what, rule: 'preset' };
    }
    if (gitignore !== null) {
      const verdict = gitignore.testNow(path, isDir);
      if (verdict === undefined) return undefined;
      if (verdict.ignored) {
        const by = `ignored by ${verdict.source ?? '.gitignore'} ("${verdict.pattern ?? ''}")`;
        if (keepSecrets && !isDir && secrets(path)) return { class: 'config', action: 'store', reason: `${by}, kept: a secret the remote does not have`, rule: 'secret' };
        if (!skipClasses.has('generated')) return { class: 'generated', action: 'store', reason: `${by}, a class that is kept`, rule: 'gitignore' };
        if (keepSecrets && isDir) return { class: 'generated', action: 'store', reason: `${by}, entered to keep the secrets it may hold`, rule: 'gitignore' };
        return { class: 'generated', action: 'skip', reason: by, rule: 'gitignore' };
      }
    }
    return storedAs(natural);
  }

  /**
   * The folders byName answered for, from the root down to the last one asked: a walk asks for a
   * folder after its parent, so the parent's answer is on top (or under its finished siblings,
   * popped). A folder whose parent is not here is worked out from the chains (fromChains).
   */
  const named: NamedFolder[] = [];

  function byName(folder: string, names?: readonly string[]): ByName | undefined {
    if (folder !== '') checkRelativePath(folder, 'byName');
    let last = named[named.length - 1];
    if (last?.folder === folder) return last.decide;
    const cut = folder.lastIndexOf('/');
    const parent = cut < 0 ? '' : folder.slice(0, cut);
    while (last !== undefined && (folder === '' || last.folder !== parent)) {
      named.pop();
      last = named[named.length - 1];
    }
    const found = last === undefined ? fromChains(folder) : below(last, folder, folder.slice(cut + 1), names);
    if (found !== undefined) named.push(found);
    return found?.decide;
  }

  /**
   * byName's answer for `folder`, an entry `name` of `parent` (which byName answered for), from
   * the parent's answer and the folder's own names: no glob reaches it (none reaches the parent),
   * nor a .gitignore unless it holds one (then fromChains reads it). It is covered when a preset
   * rule covers it or a folder above it (the parent's tests say so of its name).
   */
  function below(parent: NamedFolder, folder: string, name: string, names: readonly string[] | undefined): NamedFolder | undefined {
    const listed = names ?? fs.readdirSync?.(pathBelow(top, folder));
    if (listed === undefined || (gitignore !== null && listed.includes('.gitignore'))) return fromChains(folder);
    const own = presetMask(folderPresetsOf(listed).presets);
    return namedFolder(folder, parent.deep | own, own, parent.covered || parent.tests.dir(name));
  }

  /** byName's answer for `folder` from its preset and .gitignore chains; undefined when a glob or a .gitignore reaches its entries, or a chain is not known yet. */
  function fromChains(folder: string): NamedFolder | undefined {
    if (includes.length > 0 || excludes.length > 0 || (gitignore !== null && !gitignore.reachesNoEntryOf(folder))) return undefined;
    const chain = presetChain(folder);
    if (chain === undefined) return undefined;
    let deep = 0;
    for (const { known } of chain) deep |= presetMask(known.presets);
    const at = chain[chain.length - 1];
    const own = at?.folder === folder ? presetMask(at.known.presets) : 0;
    const hit = folder === '' ? undefined : presetRule(folder, true);
    if (hit === UNKNOWN) return undefined;
    return namedFolder(folder, deep, own, hit !== undefined);
  }

  /**
   * A folder's answer: its entries are decided by name unless a preset rule covers the folder
   * (each entry then goes to decideNow) or an entry's name matches a rule that reaches it (that
   * entry goes to decideNow, for the rule's reason). The folder's own path below each preset's
   * folder is covered by no rule, so only the entry's name can match: a rule that reaches any
   * depth (`node_modules`, `*.pyc`), or one anchored to the folder's own marker (`dist`).
   */
  function namedFolder(folder: string, deep: number, own: number, covered: boolean): NamedFolder {
    const tests = nameTests(deep, own);
    if (!covered && tests.none) return { folder, deep, tests, covered, decide: byNameOnly }; // most folders: nothing made but this
    const exactly = (name: string, kind: NodeType): PolicyDecision => {
      const path = folder === '' ? name : `${folder}/${name}`;
      const decided = decideNow(path, kind === 'dir' ? 'dir' : 'file');
      if (decided === undefined) throw new Error(`byName: ${path} undecided with its folder's presets known`);
      return decided;
    };
    const decide: ByName = covered ? exactly
      : (name, kind) => ((kind === 'dir' ? tests.dir(name) : tests.file(name)) ? exactly(name, kind) : byNameOnly(name, kind));
    return { folder, deep, tests, covered, decide };
  }

  return { root: top, decide, decideNow, byName };
}

/** What byName gives: an entry's decision from its name and kind ('dir' for a folder; any other kind is decided as a file). */
type ByName = (name: string, kind: NodeType) => PolicyDecision;

/** A folder byName answered for, and what its own folders take from it. */
interface NamedFolder {
  readonly folder: string;
  /** The presets of the folders from the root down to this one (a bit per STACK_PRESETS entry): their rules that reach any depth apply below it. */
  readonly deep: number;
  /** Which names of its entries a preset rule may cover. */
  readonly tests: NameTests;
  /** A preset rule covers the folder itself (or one above it): every entry is decided by decideNow. */
  readonly covered: boolean;
  readonly decide: ByName;
}

/** The preset rules that may cover an entry by its name, as tests on the name. */
interface NameTests {
  /** No rule reaches the entries. */
  readonly none: boolean;
  dir(name: string): boolean;
  file(name: string): boolean;
}

/** The bits of `presets` in a preset mask. */
function presetMask(presets: readonly StackPreset[]): number {
  let mask = 0;
  for (const preset of presets) mask |= 1 << STACK_PRESETS.indexOf(preset);
  return mask;
}

const NAME_TESTS = new Map<number, NameTests>();

/**
 * The tests for the entries of a folder below the presets `deep` (their rules that reach any
 * depth) holding the markers of `own` (their rules anchored to it too); one per pair, shared.
 */
function nameTests(deep: number, own: number): NameTests {
  const key = deep * 256 + own;
  let tests = NAME_TESTS.get(key);
  if (tests === undefined) {
    const rules: PresetRule[] = [];
    STACK_PRESETS.forEach((preset, bit) => {
      for (const rule of preset.rules) if (((rule.anchored ? own : deep) >> bit) & 1) rules.push(rule);
    });
    tests = { none: rules.length === 0, dir: nameTest(rules.filter((rule) => rule.kind === 'dir')), file: nameTest(rules.filter((rule) => rule.kind === 'file')) };
    NAME_TESTS.set(key, tests);
  }
  return tests;
}

/** Whether a name matches one of `rules` (plain names looked up, globs matched as matchRule does). */
function nameTest(rules: readonly PresetRule[]): (name: string) => boolean {
  if (rules.length === 0) return () => false;
  const plain = new Set<string>();
  const globbed: ((name: string) => boolean)[] = [];
  for (const rule of rules) {
    if (GLOB_CHARS.test(rule.name)) globbed.push(segmentMatcher(rule.name));
    else plain.add(rule.name);
  }
  if (globbed.length === 0) return (name) => plain.has(name);
  return (name) => plain.has(name) || globbed.some((test) => test(name));
}

/** The decision for an entry no rule reaches (a folder is source, a file is classed by its name): decideNow's, for an entry of a plain folder. */
function byNameOnly(name: string, kind: NodeType): PolicyDecision {
  return storedAs(kind === 'dir' ? 'source' : classifyName(name));
}

/** An empty list, shared: a preset chain without links, the names a folder without presets keeps. */
const NO_LINKS: readonly never[] = [];
/** What a folder without markers holds (shared). */
const NO_PRESETS: { readonly presets: readonly StackPreset[]; readonly names: readonly string[] } = Object.freeze({ presets: NO_LINKS, names: NO_LINKS });

/** How deep `folder` is below the root: 0 for the root (''), 1 for its entries, and so on. */
function depthOf(folder: string): number {
  if (folder === '') return 0;
  let depth = 1;
  for (let at = folder.indexOf('/'); at >= 0; at = folder.indexOf('/', at + 1)) depth += 1;
  return depth;
}

/** A preset rule covering a path, with the folder whose marker chose it. */
interface PresetHit {
  readonly rule: PresetRule;
  readonly preset: StackPreset;
  readonly folder: string;
  readonly marker: string;
}

const STORED_AS = new Map<FileClass, PolicyDecision>();

/** The decision for an entry no rule claims (one object per class: most entries get it). */
function storedAs(natural: FileClass): PolicyDecision {
  let decision = STORED_AS.get(natural);
  if (decision === undefined) {
    decision = Object.freeze({ class: natural, action: 'store', reason: `stored as ${natural}`, rule: 'default' } as const);
    STORED_AS.set(natural, decision);
  }
  return decision;
}

/** What decideNow's helpers answer when a listing or a .gitignore they need was not read yet. */
const UNKNOWN = Symbol('unknown');
