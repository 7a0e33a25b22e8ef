import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { SCALE_PROJECTS, scaleFilePath } from './scale-tree.js';
import type { ScaleTree } from './scale-tree.js';

/** The literal the edits write, searched for by the grep of the history bench. */
export const HISTORY_LITERAL = 'cairn-bench history marker';
/** The name of the file added to a few projects, searched for by the find of the history bench. */
export const HISTORY_NAME = 'history-notes.ts';
/** Files edited between two snapshots. */
export const HISTORY_EDITS = 20;

/** What one step of edits did to the tree. */
export interface EditSummary {
  readonly edited: number;
  readonly added: number;
  readonly removed: number;
  readonly renamed: number;
}

/**
 * Small changes between the snapshots of the scale tree, undone afterwards: every path touched
 * is journalled with its bytes before the first change, so `undo` puts the tree back as generated.
 */
export interface HistoryEdits {
  /** The changes before snapshot `k` (k ≥ 2): 20 files edited, one added, one removed, and at k = 6 one renamed. */
  apply(k: number): Promise<EditSummary>;
  /** Writes every touched path back as it was (or removes it). */
  undo(): Promise<void>;
}

/** The edits of `tree`; nothing changes until apply. */
export function historyEdits(tree: ScaleTree): HistoryEdits {
  const journal = new Map<string, Buffer | null>();
  const remember = async (path: string): Promise<void> => {
    if (journal.has(path)) return;
    journal.set(path, existsSync(path) ? await readFile(path) : null);
  };
  const file = (i: number): string => join(tree.root, scaleFilePath(i % tree.files, tree.files));
  const project = (p: number): string => join(tree.root, `project-${String(p % SCALE_PROJECTS).padStart(2, '0')}`);
  return {
    async apply(k) {
      // Edited: 20 files spread over the tree, a different set each time; the literal goes into each.
      for (let e = 0; e < HISTORY_EDITS; e += 1) {
        const path = file(Math.floor(((k * HISTORY_EDITS + e) * tree.files) / (11 * HISTORY_EDITS)) + k);
        if (!existsSync(path)) continue; // removed by an earlier step
        await remember(path);
        const before = await readFile(path);
        await writeFile(path, Buffer.concat([before, Buffer.from(`// ${HISTORY_LITERAL} ${k}.${e}\n`)]));
      }
      // Added: the named file, in the project of this snapshot (one project more each time, from k = 2).
      const added = join(project(k * 7), 'src', HISTORY_NAME);
      await remember(added);
      await writeFile(added, `// notes of snapshot ${k}\nexport const notes = ${k};\n`);
      // Removed: one generated file.
      const removed = file(Math.floor((k * tree.files) / 13) + 1);
      await remember(removed);
      await rm(removed, { force: true });
      // Renamed: one file moves to another folder under a new name, with its bytes unchanged.
      let renamed = 0;
      if (k === 6) {
        const from = file(Math.floor(tree.files / 2) + 3);
        const to = join(project(SCALE_PROJECTS - 1), 'src', 'renamed', 'moved-by-history-bench.ts');
        if (existsSync(from)) {
          await remember(from);
          await remember(to);
          await mkdir(dirname(to), { recursive: true });
          await rename(from, to);
          renamed = 1;
        }
      }
      return { edited: HISTORY_EDITS, added: 1, removed: 1, renamed };
    },
    async undo() {
      for (const [path, bytes] of journal) {
        if (bytes === null) await rm(path, { force: true });
        else {
          await mkdir(dirname(path), { recursive: true });
          await writeFile(path, bytes);
        }
      }
      await rm(join(project(SCALE_PROJECTS - 1), 'src', 'renamed'), { recursive: true, force: true });
      journal.clear();
    },
  };
}
