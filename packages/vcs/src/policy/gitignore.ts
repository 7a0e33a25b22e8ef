import ignore from 'ignore';
import type { Ignore } from 'ignore';
import type { PolicyFs } from './policy-fs.js';

/** Whether .gitignore rules exclude a path, and which file and pattern did. */
export interface IgnoreVerdict {
  readonly ignored: boolean;
  /** The .gitignore file (relative to the root) whose rule decided. */
  readonly source?: string;
  readonly pattern?: string;
}

const NOT_IGNORED: IgnoreVerdict = { ignored: false };

/**
 * The .gitignore files of a tree, read on demand and cached: each applies to its own folder and
 * below, a deeper file's rules (negations too) override a shallower one's, and nothing inside an
 * ignored folder can be re-included — as git does. Rules come from the `ignore` package.
 */
export class GitignoreTree {
  private readonly levels = new Map<string, Promise<Ignore | null>>();
  private readonly folders = new Map<string, Promise<IgnoreVerdict>>();

  constructor(
    private readonly fs: PolicyFs,
    private readonly root: string,
  ) {}

  /** The verdict for `path` (relative to the root, '/'-separated), a folder when `isDir`. */
  async test(path: string, isDir: boolean): Promise<IgnoreVerdict> {
    if (isDir) return this.folder(path);
    return this.evaluate(path, false);
  }

  private folder(path: string): Promise<IgnoreVerdict> {
    let verdict = this.folders.get(path);
    if (verdict === undefined) {
      verdict = this.evaluate(path, true);
      this.folders.set(path, verdict);
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
    const parts = parent === '' ? [] : parent.split('/');
    for (let depth = 0; depth <= parts.length; depth++) {
      const folder = parts.slice(0, depth).join('/');
      const rules = await this.level(folder);
      if (rules === null) continue;
      const relative = folder === '' ? path : path.slice(folder.length + 1);
      const result = rules.test(isDir ? `${relative}/` : relative);
      if (result.ignored) verdict = { ignored: true, source: folder === '' ? '.gitignore' : `${folder}/.gitignore`, pattern: result.rule?.pattern ?? '' };
      else if (result.unignored) verdict = NOT_IGNORED;
    }
    return verdict;
  }

  private level(folder: string): Promise<Ignore | null> {
    let rules = this.levels.get(folder);
    if (rules === undefined) {
      const file = folder === '' ? `${this.root}/.gitignore` : `${this.root}/${folder}/.gitignore`;
      rules = this.fs.readText(file).then((text) => (text === null ? null : ignore().add(text)));
      this.levels.set(folder, rules);
    }
    return rules;
  }
}
