import { CairnError, fromHex, isHexId } from '@cairn/core';
import type { FileType } from '@cairn/core';
import { decodeIndexFile, indexFileToJson, snapshotToJson, treeToJson } from '@cairn/index';
import { decodePack } from '@cairn/pack';
import { packFileName } from '../repo/names.js';
import { matchIdPrefix } from '../repo/prefix.js';
import { checkContentName } from '../repo/blob-check.js';
import type { Repository, RepositoryFiles } from '../repo/repository.js';
import { findSnapshot } from '../repo/snapshots.js';

/** The kinds of object `cat` shows. */
export type CatKind = 'config' | 'snapshot' | 'tree' | 'index' | 'pack';

/** Every CatKind, for argument checking. */
export const CAT_KINDS: readonly CatKind[] = ['config', 'snapshot', 'tree', 'index', 'pack'];

/** Decodes one repository object into plain JSON-safe data. */
export async function catObject(repo: Repository, kind: CatKind, ref = ''): Promise<unknown> {
  switch (kind) {
    case 'config':
      return repo.config;
    case 'snapshot': {
      const { id, snapshot } = await findSnapshot(repo, ref);
      return { id, ...snapshotToJson(snapshot) };
    }
    case 'tree': {
      if (!isHexId(ref)) throw new CairnError('ERR_USAGE', `a tree is named by its full 64-digit id, not ${JSON.stringify(ref)}`);
      return { id: ref, nodes: treeToJson(await repo.loadTree(fromHex(ref), `tree ${ref}`)) };
    }
    case 'index': {
      const name = await resolveName(repo, 'index', ref);
      const bytes = await repo.backend.read('index', name);
      checkContentName(repo.backend, bytes, name, `index/${name}`);
      return { id: name, ...indexFileToJson(decodeIndexFile(bytes, `index/${name}`)) };
    }
    case 'pack': {
      const name = await resolveName(repo, 'data', ref);
      const where = packFileName(name);
      const blobs = decodePack(await repo.backend.read('data', name), where);
      return { id: name, blobs: indexFileToJson([{ id: fromHex(name), blobs }]).packs[0]?.blobs ?? [] };
    }
  }
}

/** Finds the one file of `type` whose name starts with `prefix`. */
async function resolveName(repo: RepositoryFiles, type: FileType, prefix: string): Promise<string> {
  const names: string[] = [];
  for await (const file of repo.backend.list(type)) names.push(file.name);
  return matchIdPrefix(names, (name) => name, prefix, type === 'data' ? 'pack' : 'index file', `look in ${repo.backend.location}/${type}`);
}
