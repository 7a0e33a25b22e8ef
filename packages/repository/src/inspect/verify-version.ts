import { isCairnError } from '@cairn/core';
import type { TreeNode } from '@cairn/index';
import { withReadLease } from '../locks/lease.js';
import type { Repository } from '../repo/repository.js';
import { fileContent } from '../tree/file-lookup.js';

/** What verifyFileContent found of one file's stored content. */
export interface ContentCheck {
  /** True when every blob was read and matched its id, and they add up to the file's size. */
  readonly ok: boolean;
  /** Bytes read and checked. */
  readonly bytes: number;
  /** Why it is not ok: a blob missing, damaged, or a size that does not add up; or that it is recorded by reference (not stored, not checked). */
  readonly problem?: string;
}

/**
 * Reads a file's stored content blob by blob (each checked against its id: its SHA-256, or
 * keyed hash) and checks that the bytes add up to the node's size: `cairn versions --verify`.
 * A damaged or missing blob is a problem in the result, not an error; `where` names the file.
 */
export async function verifyFileContent(repo: Repository, node: TreeNode, where: string, signal?: AbortSignal): Promise<ContentCheck> {
  if (node.type === 'file' && node.content === undefined) return { ok: false, bytes: 0, problem: `${where} is recorded by reference to its version control: its bytes are not stored here` };
  return withReadLease(repo, { purpose: 'verify', ...(signal === undefined ? {} : { signal }) }, async () => {
    let bytes = 0;
    try {
      for await (const chunk of fileContent(repo, node, where, signal)) bytes += chunk.byteLength;
    } catch (error) {
      if (!isCairnError(error) || error.code === 'ERR_ABORTED' || error.code === 'ERR_TRANSIENT') throw error;
      return { ok: false, bytes, problem: error.message };
    }
    if (bytes !== node.size) return { ok: false, bytes, problem: `${where}: its blobs hold ${bytes} bytes, but the file had ${node.size}` };
    return { ok: true, bytes };
  });
}
