import { lazyModule } from '@cairn/core';
import type { TreeNode } from '@cairn/index';
import { acquireReadLease } from '../locks/lease.js';
import type { BlobLoader, Repository } from '../repo/repository.js';
import type { DiffChange } from './diff.js';

/** jsdiff, loaded when a text diff is first made. */
const jsdiff = lazyModule<typeof import('diff')>(import.meta.url, 'diff');

/** How many leading bytes decide whether a file is text (as git: a NUL among them makes it binary). */
export const TEXT_SNIFF_BYTES = 8192;

/** Files larger than this get no text diff by default (the diff holds both in memory). */
export const MAX_TEXT_DIFF_BYTES = 16 * 1024 * 1024;

/**
 * The content side of a changed file: a unified diff of text (`patch`), or why there is none:
 * `binary` (a NUL in the first 8 KiB of either side), `reference` (a side recorded by its VCS id,
 * whose bytes the repository does not hold), `too-large`.
 */
export type ContentDiff =
  | { readonly kind: 'text'; readonly patch: string }
  | { readonly kind: 'binary' }
  | { readonly kind: 'reference' }
  | { readonly kind: 'too-large'; readonly limit: number };

/** Options of diffContent. */
export interface ContentDiffOptions {
  /** Lines of context around each change (default 3). */
  readonly context?: number;
  /** Larger files get `too-large` (default MAX_TEXT_DIFF_BYTES). */
  readonly maxBytes?: number;
}

/** The unified diff of a `modified` file of a diff (git's headers: `--- a/path`, `+++ b/path`). */
export async function diffContent(repo: Repository, change: DiffChange, options: ContentDiffOptions = {}): Promise<ContentDiff> {
  const { before, after } = change;
  if (before === undefined || after === undefined || before.type !== 'file' || after.type !== 'file') {
    throw new TypeError(`a content diff compares two files; ${change.path} is ${change.kind}`);
  }
  if (before.ref !== undefined || after.ref !== undefined) return { kind: 'reference' };
  const limit = options.maxBytes ?? MAX_TEXT_DIFF_BYTES;
  if (before.size > limit || after.size > limit) return { kind: 'too-large', limit };
  const lease = await acquireReadLease(repo, 'diff');
  try {
    const old = await readText(repo, before);
    if (old === undefined) return { kind: 'binary' };
    const now = await readText(repo, after);
    if (now === undefined) return { kind: 'binary' };
    const patch = jsdiff().createTwoFilesPatch(`a/${change.oldPath ?? change.path}`, `b/${change.path}`, old, now, undefined, undefined, {
      context: options.context ?? 3,
      headerOptions: { includeIndex: false, includeUnderline: false, includeFileHeaders: true },
    });
    return { kind: 'text', patch };
  } finally {
    await lease?.release();
  }
}

/**
 * A file's bytes as text, read blob by blob; undefined as soon as its first 8 KiB hold a NUL
 * (the rest is then not read).
 */
async function readText(repo: BlobLoader, node: TreeNode): Promise<string | undefined> {
  const decoder = new TextDecoder('utf-8');
  let text = '';
  let seen = 0;
  for (const id of node.content ?? []) {
    const bytes = await repo.loadBlob(id, 'data');
    if (seen < TEXT_SNIFF_BYTES && bytes.subarray(0, TEXT_SNIFF_BYTES - seen).includes(0)) return undefined;
    seen += bytes.length;
    text += decoder.decode(bytes, { stream: true });
  }
  return text + decoder.decode();
}

