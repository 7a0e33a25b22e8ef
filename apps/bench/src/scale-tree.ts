import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { logUniform } from './generate-corpus.js';
import { createPrng, subSeed } from './prng.js';
import { createVocabulary, sourceText } from './source-text.js';
import type { Vocabulary } from './source-text.js';

/** Project folders of the scale tree. */
export const SCALE_PROJECTS = 50;
/** Files changed by the scale test's incremental backup. */
export const SCALE_CHANGED = 500;
const PER_FOLDER = 100;

/** A generated tree of many small files, cached under the work folder. */
export interface ScaleTree {
  readonly root: string;
  readonly files: number;
  readonly seed: number;
  /** A file that exists while the tree holds the change (removed by undoChange). */
  readonly marker: string;
}

/** The relative path of file `i` of a tree of `files` files: project-NN/src/mMMM/fIIIIII.ts. */
export function scaleFilePath(i: number, files: number): string {
  const perProject = Math.ceil(files / SCALE_PROJECTS);
  const project = Math.floor(i / perProject);
  const folder = Math.floor((i % perProject) / PER_FOLDER);
  return join(`project-${String(project).padStart(2, '0')}`, 'src', `m${String(folder).padStart(3, '0')}`, `f${String(i).padStart(6, '0')}.ts`);
}

function scaleFileContent(vocabulary: Vocabulary, seed: number, i: number): Buffer {
  const prng = createPrng(subSeed(seed, 1_000 + i));
  return sourceText(prng, vocabulary, logUniform(prng, 100, 4_000));
}

/** The indexes of the files the change touches: SCALE_CHANGED of them, spread over the tree. */
export function changedIndexes(files: number): number[] {
  const n = Math.min(SCALE_CHANGED, files);
  return Array.from({ length: n }, (_, k) => Math.floor((k * files) / n));
}

/**
 * The tree of `files` files in 50 project folders (100 files a folder, 100 B to 4 KB of
 * source text each), generated once under `work` and reused; a change left behind by an
 * interrupted run is undone first.
 */
export async function ensureScaleTree(work: string, files: number, seed: number, log: (line: string) => void): Promise<ScaleTree> {
  if (!Number.isInteger(files) || files < SCALE_PROJECTS) throw new RangeError(`--files must be an integer >= ${SCALE_PROJECTS}, not ${String(files)}`);
  const dir = join(work, `scale-${files}-s${seed}`);
  const tree: ScaleTree = { root: join(dir, 'tree'), files, seed, marker: join(dir, 'changed') };
  if (existsSync(tree.root)) {
    if (existsSync(tree.marker)) await undoChange(tree);
    return tree;
  }
  const partial = `${dir}.partial-${process.pid}`;
  await rm(partial, { recursive: true, force: true });
  const vocabulary = createVocabulary(subSeed(seed, 0));
  let folder = '';
  for (let i = 0; i < files; i += 1) {
    const path = join(partial, 'tree', scaleFilePath(i, files));
    const parent = join(path, '..');
    if (parent !== folder) {
      mkdirSync(parent, { recursive: true });
      folder = parent;
    }
    writeFileSync(path, scaleFileContent(vocabulary, seed, i));
    if ((i + 1) % 50_000 === 0) log(`generating the scale tree: ${i + 1} of ${files} files`);
  }
  await mkdir(dir, { recursive: true });
  await rename(join(partial, 'tree'), tree.root);
  await rm(partial, { recursive: true, force: true });
  return tree;
}

/** Appends a line to each of the changed files (rewritten under a new name and renamed into place). */
export async function applyScaleChange(tree: ScaleTree): Promise<number> {
  await writeFile(tree.marker, '');
  const vocabulary = createVocabulary(subSeed(tree.seed, 0));
  const indexes = changedIndexes(tree.files);
  for (const i of indexes) {
    const path = join(tree.root, scaleFilePath(i, tree.files));
    await writeFile(`${path}.tmp`, Buffer.concat([scaleFileContent(vocabulary, tree.seed, i), Buffer.from(`// changed by cairn-bench scale (${i})\n`)]));
    await rename(`${path}.tmp`, path);
  }
  return indexes.length;
}

/** Writes the changed files back as generated and removes the marker. */
export async function undoChange(tree: ScaleTree): Promise<void> {
  const vocabulary = createVocabulary(subSeed(tree.seed, 0));
  for (const i of changedIndexes(tree.files)) {
    const path = join(tree.root, scaleFilePath(i, tree.files));
    await writeFile(`${path}.tmp`, scaleFileContent(vocabulary, tree.seed, i));
    await rename(`${path}.tmp`, path);
  }
  await rm(tree.marker, { force: true });
}
