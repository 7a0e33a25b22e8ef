import { CairnError } from '@cairn/core';
import { splitNul } from '../run.js';

/** One path line of `git status --porcelain=v2 -z`. */
export type PorcelainEntry =
  | { readonly kind: 'changed'; readonly xy: string; readonly submodule: boolean; readonly path: string }
  | { readonly kind: 'renamed'; readonly xy: string; readonly submodule: boolean; readonly path: string; readonly origPath: string }
  | { readonly kind: 'unmerged'; readonly path: string }
  | { readonly kind: 'untracked'; readonly path: string }
  | { readonly kind: 'ignored'; readonly path: string };

/** The parsed output of `git status --porcelain=v2 -z --branch --show-stash`. */
export interface PorcelainStatus {
  /** HEAD commit, null before the first commit. */
  readonly oid: string | null;
  /** Current branch, null when HEAD is detached. */
  readonly branch: string | null;
  readonly upstream: string | null;
  readonly ahead: number | null;
  readonly behind: number | null;
  readonly stash: number;
  readonly entries: readonly PorcelainEntry[];
}

/** The first `count` space-separated fields of `line` and the rest (a path may hold spaces). */
function fields(line: string, count: number, where: string): { head: string[]; rest: string } {
  const head: string[] = [];
  let from = 0;
  for (let i = 0; i < count; i++) {
    const space = line.indexOf(' ', from);
    if (space < 0) throw new CairnError('ERR_FORMAT', `${where}: unexpected status line "${line}"`);
    head.push(line.slice(from, space));
    from = space + 1;
  }
  return { head, rest: line.slice(from) };
}

/** Parses `git status --porcelain=v2 -z --branch --show-stash` output; `where` names the repository in errors. */
export function parsePorcelainV2(output: Buffer | string, where: string): PorcelainStatus {
  const records = splitNul(output);
  let oid: string | null = null;
  let branch: string | null = null;
  let upstream: string | null = null;
  let ahead: number | null = null;
  let behind: number | null = null;
  let stash = 0;
  const entries: PorcelainEntry[] = [];
  for (let i = 0; i < records.length; i++) {
    const line = records[i] as string;
    const tag = line.slice(0, 2);
    if (tag === '# ') {
      const { head, rest } = fields(line, 2, where);
      const key = head[1];
      if (key === 'branch.oid') oid = rest === '(initial)' ? null : rest;
      else if (key === 'branch.head') branch = rest === '(detached)' ? null : rest;
      else if (key === 'branch.upstream') upstream = rest;
      else if (key === 'branch.ab') {
        const match = /^\+(\d+) -(\d+)$/.exec(rest);
        if (match !== null) [ahead, behind] = [Number(match[1]), Number(match[2])];
      } else if (key === 'stash') stash = Number(rest);
    } else if (tag === '1 ') {
      const { head, rest } = fields(line, 8, where);
      entries.push({ kind: 'changed', xy: head[1] ?? '..', submodule: (head[2] ?? 'N').startsWith('S'), path: rest });
    } else if (tag === '2 ') {
      const { head, rest } = fields(line, 9, where);
      const origPath = records[++i];
      if (origPath === undefined) throw new CairnError('ERR_FORMAT', `${where}: rename of ${rest} without its source path`);
      entries.push({ kind: 'renamed', xy: head[1] ?? '..', submodule: (head[2] ?? 'N').startsWith('S'), path: rest, origPath });
    } else if (tag === 'u ') {
      entries.push({ kind: 'unmerged', path: fields(line, 10, where).rest });
    } else if (tag === '? ') {
      entries.push({ kind: 'untracked', path: line.slice(2) });
    } else if (tag === '! ') {
      entries.push({ kind: 'ignored', path: line.slice(2) });
    } else {
      throw new CairnError('ERR_FORMAT', `${where}: unexpected status line "${line}"`);
    }
  }
  return { oid, branch, upstream, ahead, behind, stash, entries };
}

/** One index entry of `git ls-files -s -v -z`. */
export interface IndexEntry {
  /** ls-files' tag: H cached, S skip-worktree, lowercase when marked assume-unchanged. */
  readonly tag: string;
  readonly mode: string;
  readonly oid: string;
  readonly stage: number;
  readonly path: string;
}

/** Parses `git ls-files -s -v -z` output: "<tag> <mode> <object id> <stage>\t<path>" records. */
export function parseLsFiles(output: Buffer | string, where: string): IndexEntry[] {
  return splitNul(output).map((record) => {
    // Fixed layout: one-letter tag, six-digit mode, a 40 (SHA-1) or 64 (SHA-256) hex id, one-digit stage.
    const tab = record.indexOf('\t');
    const oidLength = tab - 11;
    if (record[1] !== ' ' || record[8] !== ' ' || (oidLength !== 40 && oidLength !== 64) || record[tab - 2] !== ' ') {
      throw new CairnError('ERR_FORMAT', `${where}: unexpected ls-files line "${record}"`);
    }
    return { tag: record[0] as string, mode: record.slice(2, 8), oid: record.slice(9, 9 + oidLength), stage: Number(record[tab - 1]), path: record.slice(tab + 1) };
  });
}
