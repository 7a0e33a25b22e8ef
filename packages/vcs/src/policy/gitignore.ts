import ignore from 'ignore';
import type { Ignore } from 'ignore';
import { pathBelow } from './policy-fs.js';
import type { PolicyFs } from './policy-fs.js';

/** Whether .gitignore rules exclude a path, and which file and pattern did. */
export interface IgnoreVerdict {
  readonly ignored: boolean;
  /** The .gitignore file (relative to the root) whose rule decided. */
  readonly source?: string;
  readonly pattern?: string;
}

const NOT_IGNORED: IgnoreVerdict = { ignored: false };
/** A chain without .gitignore files (shared). */
const NO_RULES: readonly never[] = [];

/**
 * The .gitignore files of a tree, read on demand and cached: each applies to its own folder and
 * below, a deeper file's rules (negations too) override a shallower one's, and nothing inside an
 * ignored folder can be re-included — as git does. Rules come from the `ignore` package.
 */
export class GitignoreTree {
  private readonly levels = new Map<string, Promise<Ignore | null>>();
  private readonly folders = new Map<string, Promise<IgnoreVerdict>>();
  /** The .gitignore files read so far, and the folders' verdicts known so far: what testNow goes by. */
  private readonly knownLevels = new Map<string, Ignore | null>();
  private readonly knownFolders = new Map<string, IgnoreVerdict>();
  /** For the entries of a folder: the .gitignore files from the root down to it, once all are read. */
  private readonly chains = new Map<string, readonly { folder: string; rules: Ignore }[]>();

  constructor(
    private readonly fs: PolicyFs,
    private readonly root: string,
  ) {}

  /** The verdict for `path` (relative to the root, '/'-separated), a folder when `isDir`. */
  async test(path: string, isDir: boolean): Promise<IgnoreVerdict> {
    if (isDir) return this.folder(path);
    return this.evaluate(path, false);
  }

  /**
   * test's verdict without waiting, or undefined when a .gitignore it needs was not read yet
   * (test reads it; after it, the entries of that folder are tested here).
   */
  testNow(path: string, isDir: boolean): IgnoreVerdict | undefined {
    if (isDir) return this.folderNow(path);
    return this.evaluateNow(path, false);
  }

  /** True when no .gitignore reaches the entries of folder `parent`: it is not ignored and none applies there (false too when one is not read yet). */
  reachesNoEntryOf(parent: string): boolean {
    if (parent !== '' && this.folderNow(parent)?.ignored !== false) return false;
    return this.chainNow(parent)?.length === 0;
  }

  private folder(path: string): Promise<IgnoreVerdict> {
    let verdict = this.folders.get(path);
    if (verdict === undefined) {
      verdict = this.evaluate(path, true).then((known) => {
        this.knownFolders.set(path, known);
        return known;
      });
      this.folders.set(path, verdict);
    }
    return verdict;
  }

  private folderNow(path: string): IgnoreVerdict | undefined {
    let verdict = this.knownFolders.get(path);
    if (verdict === undefined) {
      verdict = this.evaluateNow(path, true);
      if (verdict !== undefined) this.knownFolders.set(path, verdict);
    }
    return verdict;
  }

  /** evaluate without waiting: the same rules, from the files read so far; undefined when one is missing. */
  private evaluateNow(path: string, isDir: boolean): IgnoreVerdict | undefined {
    if (path === '') return NOT_IGNORED;
    const cut = path.lastIndexOf('/');
    const parent = cut < 0 ? '' : path.slice(0, cut);
    if (parent !== '') {
      const above = this.folderNow(parent);
      if (above === undefined || above.ignored) return above;
    }
    const chain = this.chainNow(parent);
    if (chain === undefined) return undefined;
    let verdict = NOT_IGNORED;
    for (const { folder, rules } of chain) {
      const relative = folder === '' ? path : path.slice(folder.length + 1);
      const result = rules.test(isDir ? `${relative}/` : relative);
      if (result.ignored) verdict = { ignored: true, source: folder === '' ? '.gitignore' : `${folder}/.gitignore`, pattern: result.rule?.pattern ?? '' };
      else if (result.unignored) verdict = NOT_IGNORED;
    }
    return verdict;
  }

  private async evaluate(path: string, isDir: boolean): Promise<IgnoreVerdict> {
    if (path === '') return NOT_IGNORED;
    const cut = path.lastIndexOf('/');
    const parent = cut < 0 ? '' : path.slice(0, cut);
    if (parent !== '') {
      const above = await this.folder(parent);
      if (above.ignored) return above;
    }
    let verdict = NOT_IGNORED;
    for (let end = 0; end >= 0; end = end >= parent.length ? -1 : nextCut(parent, end)) {
      const folder = parent.slice(0, end);
      const rules = await this.level(folder);
      if (rules === null) continue;
      const relative = folder === '' ? path : path.slice(folder.length + 1);
      const result = rules.test(isDir ? `${relative}/` : relative);
      if (result.ignored) verdict = { ignored: true, source: folder === '' ? '.gitignore' : `${folder}/.gitignore`, pattern: result.rule?.pattern ?? '' };
      else if (result.unignored) verdict = NOT_IGNORED;
    }
    return verdict;
  }

  /** The .gitignore files that apply to the entries of `parent`, outermost first; undefined when one is not read yet. */
  private chainNow(parent: string): readonly { folder: string; rules: Ignore }[] | undefined {
    let chain = this.chains.get(parent);
    if (chain === undefined) {
      // The chain of the folder above, and this folder's own file: one level looked up per folder, not one per folder above it.
      const cut = parent.lastIndexOf('/');
      const above = parent === '' ? NO_RULES : this.chainNow(cut < 0 ? '' : parent.slice(0, cut));
      if (above === undefined) return undefined;
      const rules = this.levelNow(parent);
      if (rules === undefined) return undefined; // not read yet
      chain = rules === null ? above : [...above, { folder: parent, rules }];
      this.chains.set(parent, chain);
    }
    return chain;
  }

  /** The absolute path of `folder`'s .gitignore. */
  private fileOf(folder: string): string {
    return pathBelow(this.root, folder === '' ? '.gitignore' : `${folder}/.gitignore`);
  }

  /** The rules of `folder`'s .gitignore when known, read at once when the fs can (readTextSync). */
  private levelNow(folder: string): Ignore | null | undefined {
    let rules = this.knownLevels.get(folder);
    const readNow = this.fs.readTextSync;
    if (rules === undefined && readNow !== undefined && !this.levels.has(folder)) {
      const text = readNow.call(this.fs, this.fileOf(folder));
      rules = text === null ? null : ignore().add(text);
      this.knownLevels.set(folder, rules);
      this.levels.set(folder, Promise.resolve(rules));
    }
    return rules;
  }

  private level(folder: string): Promise<Ignore | null> {
    let rules = this.levels.get(folder);
    if (rules === undefined) {
      rules = this.fs.readText(this.fileOf(folder)).then((text) => {
        const read = text === null ? null : ignore().add(text);
        this.knownLevels.set(folder, read);
        return read;
      });
      this.levels.set(folder, rules);
    }
    return rules;
  }
}

/** Where the folder path after `folder.slice(0, end)` ends: the next '/' of `folder`, or its length. */
function nextCut(folder: string, end: number): number {
  const cut = folder.indexOf('/', end === 0 ? 0 : end + 1);
  return cut < 0 ? folder.length : cut;
}
