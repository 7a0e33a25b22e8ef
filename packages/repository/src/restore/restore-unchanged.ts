import { createHash } from 'node:crypto';
import { idEquals, isCairnError } from '@cairn/core';
import type { EntryStat, Id } from '@cairn/core';
import type { TreeNode } from '@cairn/index';
import type { RestoreContext } from './restore-context.js';
import { contentIds } from '../repo/content-ids.js';

/**
 * The SHA-256 of a file's whole content: the id of its one chunk (blob ids are the SHA-256 of
 * the plaintext, unless the repository is encrypted: its ids are keyed), else the hash of its
 * chunks' plaintexts, loaded and concatenated here.
 */
export async function contentDigest(ctx: RestoreContext, content: readonly Id[]): Promise<Uint8Array> {
  if (content.length === 1 && content[0] !== undefined && !contentIds(ctx.repo.backend).keyed) return content[0];
  const hash = createHash('sha256');
  for (const id of content) hash.update(await ctx.repo.loadBlob(id, 'data'));
  return hash.digest();
}

/**
 * Whether the file at `parts` already holds `node`'s content, asked of a target that can digest
 * its files where they live (Target.digest): the same size, then the same SHA-256. False when
 * the target cannot tell, or either side cannot be read (the write that follows reports that).
 */
export async function holdsContent(ctx: RestoreContext, node: TreeNode, parts: readonly string[], existing: EntryStat): Promise<boolean> {
  const { target } = ctx;
  const content = node.content;
  if (target.digest === undefined || node.type !== 'file' || existing.type !== 'file' || existing.size !== node.size || content === undefined) return false;
  if (!content.every((id) => ctx.repo.index.has(id))) return false;
  try {
    const there = await target.digest(parts);
    return idEquals(there, await contentDigest(ctx, content));
  } catch (error) {
    if (isCairnError(error) && error.code !== 'ERR_TRANSIENT' && error.code !== 'ERR_ABORTED') return false;
    throw error;
  }
}
