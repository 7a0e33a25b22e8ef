/**
 * Random edits of a source tree between backups: files of random sizes (empty, small, larger
 * than the chunker's maximum), in-place changes (patches of a few bytes: delta blobs), deletions, chmod, symlinks, hardlinks, empty
 * folders, and a file replaced by a folder or the other way round. Paths come from a small pool
 * whose names overlap ("d1" is a file in one edit and a folder in the next), so edits collide.
 */
import { chmod, link, lstat, mkdir, open, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import fc from 'fast-check';
import { seededBytes } from '../helpers.js';

/** One change of a tree; applying it never fails (what stands in the way is removed). */
export type Edit =
  | { readonly op: 'write'; readonly path: string; readonly size: number; readonly seed: number }
  /** Compressible text (lines drawn from the seed): small ones are stored in groups sharing a frame. */
  | { readonly op: 'text'; readonly path: string; readonly size: number; readonly seed: number }
  | { readonly op: 'modify'; readonly path: string; readonly seed: number }
  | { readonly op: 'patch'; readonly path: string; readonly seed: number }
  | { readonly op: 'delete'; readonly path: string }
  | { readonly op: 'rename'; readonly path: string; readonly to: string }
  | { readonly op: 'chmod'; readonly path: string; readonly mode: number }
  | { readonly op: 'mkdir'; readonly path: string }
  | { readonly op: 'symlink'; readonly path: string; readonly target: string }
  | { readonly op: 'hardlink'; readonly path: string; readonly to: string };

const PATHS = ['a', 'b', 'c', 'd1', 'd2', 'd1/a', 'd1/b', 'd1/d3', 'd1/d3/a', 'd2/c', 'd2/d4/e'] as const;
const path = fc.constantFrom(...PATHS);
/** Sizes: empty, small, and above the SMALL chunker's 16 KiB maximum. */
const size = fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 3000 }), fc.integer({ min: 16_385, max: 70_000 }));
/** Few seeds, so contents repeat across files and backups (deduplication). */
const seed = fc.integer({ min: 1, max: 6 });

/** An edit of a general tree. */
export const editArb: fc.Arbitrary<Edit> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ op: fc.constant('write' as const), path, size, seed }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('text' as const), path, size, seed }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('modify' as const), path, seed }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('patch' as const), path, seed }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('delete' as const), path }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('rename' as const), path, to: path }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('chmod' as const), path, mode: fc.constantFrom(0o600, 0o640, 0o644, 0o700, 0o750, 0o755) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('mkdir' as const), path }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('symlink' as const), path, target: fc.constantFrom('a', '../a', 'd1', 'nowhere/x', '/etc/hostname') }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('hardlink' as const), path, to: path }) },
);

/** An edit of a board's files: no links, no modes, files up to 20 KB (the simulated board's link is slow). */
export const boardEditArb: fc.Arbitrary<Edit> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant('write' as const), path, size: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 3000 }), fc.integer({ min: 16_385, max: 20_000 })), seed }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('modify' as const), path, seed }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('delete' as const), path }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('mkdir' as const), path }) },
);

/** "write d1/a 20000B#3" and the like. */
export function editText(edit: Edit): string {
  switch (edit.op) {
    case 'write': return `write ${edit.path} ${edit.size}B#${edit.seed}`;
    case 'text': return `text ${edit.path} ${edit.size}B#${edit.seed}`;
    case 'modify': return `modify ${edit.path}#${edit.seed}`;
    case 'patch': return `patch ${edit.path}#${edit.seed}`;
    case 'delete': return `delete ${edit.path}`;
    case 'rename': return `rename ${edit.path} -> ${edit.to}`;
    case 'chmod': return `chmod ${edit.mode.toString(8)} ${edit.path}`;
    case 'mkdir': return `mkdir ${edit.path}`;
    case 'symlink': return `symlink ${edit.path} -> ${edit.target}`;
    case 'hardlink': return `hardlink ${edit.path} = ${edit.to}`;
  }
}

async function kind(full: string): Promise<'file' | 'dir' | 'other' | null> {
  try {
    const st = await lstat(full);
    return st.isDirectory() ? 'dir' : st.isFile() ? 'file' : 'other';
  } catch {
    return null;
  }
}

/** Makes `rel`'s parent folders folders (replacing files in the way) and clears `rel` itself. */
async function clearFor(root: string, rel: string): Promise<void> {
  const parts = rel.split('/');
  for (let i = 1; i < parts.length; i += 1) {
    const dir = join(root, ...parts.slice(0, i));
    const found = await kind(dir);
    if (found !== 'dir') {
      if (found !== null) await rm(dir, { force: true });
      await mkdir(dir);
    }
  }
  await remove(join(root, rel));
}

/** Removes what is at `full` (nothing when there is nothing, or when a parent is a file). */
async function remove(full: string): Promise<void> {
  if ((await kind(full)) !== null) await rm(full, { recursive: true, force: true });
}

/** `size` bytes of text lines drawn from `seed`: compressible, as source files are. */
export function seededText(size: number, seed: number): Buffer {
  const words = seededBytes(Math.ceil(size / 8) * 4 + 4, seed);
  let text = '';
  for (let i = 0; text.length < size; i += 1) text += `#define VALUE_${seed}_${i} ${words.readUInt16LE((i * 2) % (words.length - 2))} /* ${i % 5} */\n`;
  return Buffer.from(text.slice(0, size));
}

/** Applies one edit below `root`. */
export async function applyEdit(root: string, edit: Edit): Promise<void> {
  const full = join(root, edit.path);
  switch (edit.op) {
    case 'write':
      await clearFor(root, edit.path);
      await writeFile(full, seededBytes(edit.size, edit.seed));
      return;
    case 'text':
      await clearFor(root, edit.path);
      await writeFile(full, seededText(edit.size, edit.seed));
      return;
    case 'modify': {
      if ((await kind(full)) !== 'file') return;
      // In place (a hardlinked twin changes too): a few bytes at the start, then one appended.
      const handle = await open(full, 'r+');
      try {
        const { size } = await handle.stat();
        await handle.write(seededBytes(Math.min(size, 64), edit.seed + 100), 0, Math.min(size, 64), 0);
        await handle.write(Buffer.from([edit.seed]), 0, 1, size);
      } finally {
        await handle.close();
      }
      return;
    }
    case 'patch': {
      if ((await kind(full)) !== 'file') return;
      // In place, size kept: 8 bytes somewhere inside (the chunk holding them is stored as a delta against the parent's).
      const handle = await open(full, 'r+');
      try {
        const { size } = await handle.stat();
        const length = Math.min(size, 8);
        await handle.write(seededBytes(length, edit.seed + 200), 0, length, Math.floor(((size - length) * edit.seed) / 7));
      } finally {
        await handle.close();
      }
      return;
    }
    case 'delete':
      await remove(full);
      return;
    case 'rename': {
      // A file moved to another name (in its folder or another), keeping its inode.
      if (edit.to === edit.path || edit.to.startsWith(`${edit.path}/`) || (await kind(full)) !== 'file') return;
      await clearFor(root, edit.to);
      if ((await kind(full)) !== 'file') return; // clearing the way removed it
      await rename(full, join(root, edit.to));
      return;
    }
    case 'chmod': {
      // A folder keeps its owner's rwx, so a test run as another user than root can still walk it.
      const found = await kind(full);
      if (found === 'dir' || found === 'file') await chmod(full, found === 'dir' ? edit.mode | 0o700 : edit.mode);
      return;
    }
    case 'mkdir':
      if ((await kind(full)) === 'dir') return;
      await clearFor(root, edit.path);
      await mkdir(full);
      return;
    case 'symlink':
      await clearFor(root, edit.path);
      await symlink(edit.target, full);
      return;
    case 'hardlink': {
      const to = join(root, edit.to);
      if (edit.to === edit.path || edit.path.startsWith(`${edit.to}/`) || (await kind(to)) !== 'file') return;
      await clearFor(root, edit.path);
      if ((await kind(to)) !== 'file') return; // clearing the way removed it
      await mkdir(dirname(full), { recursive: true });
      await link(to, full);
      return;
    }
  }
}

/** Applies edits in order. */
export async function applyEdits(root: string, edits: readonly Edit[]): Promise<void> {
  for (const edit of edits) await applyEdit(root, edit);
}
