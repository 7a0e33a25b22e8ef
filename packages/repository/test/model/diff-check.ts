/**
 * The diff invariant: for the two newest snapshots of the same paths the repository holds, the
 * engine's diff agrees with the model's view of their files (which paths were added, removed,
 * changed in content, in type or in mode), and a snapshot against itself is empty. Source trees,
 * boards (no modes) and `--vcs changes` working copies (files only, some recorded by reference).
 * Cheap: the diff reads only the trees that changed.
 */
import { createHash } from 'node:crypto';
import { diffSnapshots } from '@cairn/repository';
import type { DiffChange, Repository } from '@cairn/repository';
import type { Expectation, ModelSnapshot } from './model-state.js';
import { boardView } from './restore-check.js';
import { withoutLinks } from './tree-state.js';
import type { TreeState } from './tree-state.js';

/** Lines saying how the diff of the newest pair of each paths group disagrees with the model ([] when it agrees). */
export async function diffMismatch(repo: Repository, snapshots: readonly ModelSnapshot[]): Promise<string[]> {
  const groups = new Map<string, ModelSnapshot[]>();
  for (const s of snapshots) {
    if (s.expect.kind === 'subset' || s.undo) continue;
    const key = `${s.expect.kind}\n${[...s.paths].sort().join('\n')}`;
    groups.set(key, [...(groups.get(key) ?? []), s]);
  }
  const lines: string[] = [];
  for (const group of groups.values()) {
    const b = group.at(-1);
    const a = group.at(-2);
    if (b === undefined) continue;
    try {
      const self = await diffSnapshots(repo, { ref: b.id }, { ref: b.id });
      if (self.changes.length > 0) lines.push(`diff of ${b.label} with itself lists ${self.changes.length} changes`);
      if (a === undefined) continue;
      const result = await diffSnapshots(repo, { ref: a.id }, { ref: b.id });
      const filesOnly = b.expect.kind === 'git';
      // A working copy's model holds files only: its folders' changes are not compared.
      const changes = filesOnly ? result.changes.filter((c) => (c.after ?? c.before)?.type !== 'dir') : result.changes;
      for (const line of compare(view(a.expect), view(b.expect), changes, b.expect.kind === 'tree')) lines.push(`diff ${a.label} -> ${b.label}: ${line}`);
    } catch (error) {
      lines.push(`diff ending at ${b.label} failed: ${(error as Error).message}`);
    }
  }
  return lines.slice(0, 12);
}

/** The model's entries of a snapshot as a TreeState: a working copy's files as "file <hash>" below its name. */
function view(expect: Expectation): TreeState {
  switch (expect.kind) {
    case 'tree':
      return expect.entries;
    case 'subset':
      return expect.before;
    case 'board':
      return boardView(expect.entries);
    case 'git':
      return new Map([...expect.files].map(([path, text]) => [`${expect.name}/${path}`, `file ${createHash('sha256').update(text).digest('hex').slice(0, 16)}`]));
  }
}

/** "file", "dir", "symlink", "special" of a model entry. */
function kindOf(entry: string): string {
  return entry.split(' ')[0] ?? '';
}

/** What the model says the content is (a file's hash, a link's target): equal exactly when the content is. */
function contentOf(entry: string): string {
  const parts = entry.split(' ');
  return parts[0] === 'file' ? parts.at(-1) ?? '' : parts[0] === 'symlink' ? entry : '';
}

function modeOf(entry: string): string {
  return kindOf(entry) === 'symlink' ? '' : entry.split(' ')[1] ?? '';
}

function compare(before: TreeState, after: TreeState, changes: readonly DiffChange[], modes: boolean): string[] {
  const lines: string[] = [];
  const want = { added: new Set<string>(), removed: new Set<string>(), modified: new Set<string>(), type: new Set<string>(), mode: new Set<string>() };
  const same = new Set<string>();
  for (const [path, raw] of before) {
    const now = withoutLinks(after.get(path));
    const was = withoutLinks(raw) ?? raw;
    if (now === undefined) want.removed.add(path);
    else if (kindOf(was) !== kindOf(now)) want.type.add(path);
    else if (contentOf(was) !== contentOf(now)) want.modified.add(path);
    else {
      same.add(path);
      if (modes && modeOf(was) !== modeOf(now)) want.mode.add(path);
    }
  }
  for (const path of after.keys()) if (!before.has(path)) want.added.add(path);
  const got = { added: new Set<string>(), removed: new Set<string>(), modified: new Set<string>(), type: new Set<string>(), metadata: new Set<string>() };
  for (const c of changes) {
    if (c.kind === 'renamed') {
      got.added.add(c.path);
      got.removed.add(c.oldPath ?? '');
      const from = contentOf(withoutLinks(before.get(c.oldPath ?? '')) ?? '');
      const to = contentOf(withoutLinks(after.get(c.path)) ?? '');
      if (from === '' || from !== to) lines.push(`R ${c.oldPath ?? '?'} -> ${c.path}, but the model has other content (${from} / ${to})`);
    } else got[c.kind].add(c.path);
  }
  const sets = (name: string, wanted: Set<string>, found: Set<string>): void => {
    for (const path of wanted) if (!found.has(path)) lines.push(`${name} ${path} is not in the diff`);
    for (const path of found) if (!wanted.has(path)) lines.push(`the diff says ${name} ${path}, the model does not`);
  };
  sets('added', want.added, got.added);
  sets('removed', want.removed, got.removed);
  sets('modified', want.modified, got.modified);
  sets('type changed', want.type, got.type);
  for (const path of want.mode) if (!got.metadata.has(path)) lines.push(`mode of ${path} changed, the diff has no U for it`);
  for (const path of got.metadata) if (!same.has(path)) lines.push(`the diff says U ${path}, but the model has it changed or absent`);
  return lines;
}
