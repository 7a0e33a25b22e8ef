import { closeSync, openSync, readSync } from 'node:fs';
import { lstat, readdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { CairnError } from '@cairn/core';
import { createPrng, subSeed } from './prng.js';
import { createVocabulary, sourceText } from './source-text.js';
import { writeAll } from './write-all.js';

/** What applySmallChange did, as paths relative to the root. */
export interface ChangeSummary {
  readonly edited: readonly string[];
  readonly added: readonly string[];
  readonly removed: readonly string[];
  /** The largest file, which got `insertedBytes` in its middle. */
  readonly large: string | undefined;
  readonly insertedBytes: number;
}

/** Files edited, added and removed by a small change. */
export const CHANGED_FILES = 5;
/** Bytes inserted in the middle of the largest file. */
export const INSERTED_BYTES = 1 << 20;

/**
 * A small deterministic change to the tree at `root`: edits CHANGED_FILES files (a few
 * lines inserted in their middle), adds as many new text files beside them, removes as
 * many others, and inserts 1 MiB in the middle of the largest file. Which files, and the
 * new bytes, depend only on `seed` and the tree's file names and sizes. Every file is
 * rewritten under a new name and renamed into place, so files that share an inode with
 * another copy of the tree leave that copy alone.
 */
export async function applySmallChange(root: string, seed: number): Promise<ChangeSummary> {
  const files = await listFiles(root);
  let large: { path: string; size: number } | undefined;
  for (const file of files) if (large === undefined || file.size > large.size) large = file;
  const others = files.filter((file) => file !== large).map((file) => file.path);
  const prng = createPrng(subSeed(seed, 100));
  const vocabulary = createVocabulary(subSeed(seed, 101), 300);
  // A partial Fisher-Yates shuffle: the first 2 * CHANGED_FILES are the picks.
  const picks = Math.min(others.length, 2 * CHANGED_FILES);
  for (let i = 0; i < picks; i += 1) {
    const j = i + prng.below(others.length - i);
    [others[i], others[j]] = [others[j]!, others[i]!];
  }
  const edited = others.slice(0, Math.min(CHANGED_FILES, picks));
  const removed = others.slice(edited.length, picks);
  const added: string[] = [];
  for (const [i, path] of edited.entries()) {
    const content = await readFile(join(root, path));
    const middle = Math.floor(content.byteLength / 2);
    const insert = sourceText(prng, vocabulary, 120 + prng.below(400));
    await replaceFile(join(root, path), Buffer.concat([content.subarray(0, middle), insert, content.subarray(middle)]));
    const newPath = join(dirname(path), `cairn-bench-added-${i}.ts`);
    await writeFile(join(root, newPath), sourceText(prng, vocabulary, 2_000 + prng.below(30_000)), { flag: 'wx' });
    added.push(newPath);
  }
  for (const path of removed) await unlink(join(root, path));
  if (large !== undefined) {
    const inserted = new Uint8Array(INSERTED_BYTES);
    prng.fill(inserted);
    await insertInMiddle(join(root, large.path), inserted);
  }
  return { edited, added, removed, large: large?.path, insertedBytes: large === undefined ? 0 : INSERTED_BYTES };
}

/** Every regular file under `root`, sorted by path. */
async function listFiles(root: string): Promise<{ path: string; size: number }[]> {
  const out: { path: string; size: number }[] = [];
  const walk = async (rel: string): Promise<void> => {
    for (const name of (await readdir(join(root, rel))).sort()) {
      const path = rel === '' ? name : `${rel}/${name}`;
      const info = await lstat(join(root, path));
      if (info.isDirectory()) await walk(path);
      else if (info.isFile()) out.push({ path, size: info.size });
    }
  };
  await walk('');
  return out;
}

async function replaceFile(path: string, content: Uint8Array): Promise<void> {
  const temp = `${path}.cairn-bench-tmp`;
  await writeFile(temp, content, { flag: 'wx', mode: (await stat(path)).mode & 0o7777 });
  await rename(temp, path);
}

/** Rewrites `path` with `inserted` in its middle, copying in 8 MiB pieces. */
async function insertInMiddle(path: string, inserted: Uint8Array): Promise<void> {
  const { size, mode } = await stat(path);
  const middle = Math.floor(size / 2);
  const temp = `${path}.cairn-bench-tmp`;
  const input = openSync(path, 'r');
  const output = openSync(temp, 'wx', mode & 0o7777);
  try {
    const buffer = new Uint8Array(8 << 20);
    const copy = (from: number, to: number): void => {
      for (let at = from; at < to; ) {
        const n = readSync(input, buffer, 0, Math.min(buffer.byteLength, to - at), at);
        if (n === 0) throw new CairnError('ERR_IO', `${path} shrank while the benchmark was changing it.`);
        writeAll(output, buffer.subarray(0, n));
        at += n;
      }
    };
    copy(0, middle);
    writeAll(output, inserted);
    copy(middle, size);
  } finally {
    closeSync(input);
    closeSync(output);
  }
  await rename(temp, path);
}
