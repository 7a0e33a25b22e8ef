import { randomBytes } from 'node:crypto';
import { CairnError, isCairnError, toHex } from '@cairn/core';
import type { Backend, BlobType, CodecName, Id } from '@cairn/core';
import { DEFAULT_CHUNKER_PARAMS } from '@cairn/chunker';
import type { ChunkerParams } from '@cairn/chunker';
import { createBlobIndex, decodeConfig, decodeTree, encodeConfig } from '@cairn/index';
import type { BlobIndex, RepoConfig, TreeNode } from '@cairn/index';
import { loadZstd, TARGET_PACK_SIZE } from '@cairn/pack';
import type { ZstdCodec } from '@cairn/pack';
import { unpackBlob } from './blob-check.js';
import { readIndexFiles } from './index-files.js';
import type { IndexProblem } from './index-files.js';
import { packFileName } from './names.js';
import { createPackCache } from './pack-cache.js';

/** An open repository: its config, its blob index and the codec to read and write blobs. */
export interface Repository {
  readonly backend: Backend;
  readonly config: RepoConfig;
  readonly index: BlobIndex;
  readonly zstd: ZstdCodec;
  /** Index files that could not be read when the repository was opened (`cairn check` names them). */
  readonly indexProblems: readonly IndexProblem[];
  /** The index files `index` was loaded from. */
  readonly indexFiles: readonly string[];
  /** Loads the index again from the index files there are now (a prune may have replaced some). */
  reloadIndex(): Promise<void>;
  /** Reads a blob, checks its id and returns its plaintext. */
  loadBlob(id: Id, type: BlobType): Promise<Uint8Array>;
  /** Reads and decodes a tree blob; `where` names it in errors. */
  loadTree(id: Id, where: string): Promise<TreeNode[]>;
}

/** Where the repository's files are: what snapshots, locks, records and settings need. */
export type RepositoryFiles = Pick<Repository, 'backend'>;

/** Reads a tree blob; `where` names it in errors. */
export type TreeLoader = Pick<Repository, 'loadTree'>;

/** Reads blobs and trees by id, each checked against its id. */
export type BlobLoader = Pick<Repository, 'loadBlob' | 'loadTree'>;

/** The blob index, to look blobs up in: where a blob is stored, whether it is. */
export type IndexLookup = Pick<Repository, 'index'>;

/** What a lease needs: the files, and the index to reload when a prune replaced index files. */
export type LeasedRepository = Pick<Repository, 'backend' | 'index' | 'indexFiles' | 'reloadIndex'>;

/** Options of initRepository. */
export interface InitOptions {
  readonly chunker?: ChunkerParams;
  readonly compressionLevel?: number;
  readonly compression?: CodecName;
  readonly packSize?: number;
}

/** Creates a new, empty repository on `backend`; ERR_EXISTS when one is already there. */
export async function initRepository(backend: Backend, options: InitOptions = {}): Promise<Repository> {
  const chunker = options.chunker ?? DEFAULT_CHUNKER_PARAMS;
  const config: RepoConfig = {
    version: 1,
    id: randomBytes(32).toString('hex'),
    createdAt: new Date().toISOString(),
    chunker: { algorithm: 'fastcdc', min: chunker.min, avg: chunker.avg, max: chunker.max },
    hash: 'sha256',
    compression: { codec: options.compression ?? 'zstd', level: options.compressionLevel ?? 3 },
    encryption: 'none',
    packSize: options.packSize ?? TARGET_PACK_SIZE,
  };
  await backend.create();
  try {
    // Exclusive: an existing config (another random id, so other bytes) is never replaced.
    await backend.write('config', 'config', encodeConfig(config));
  } catch (error) {
    if (isCairnError(error, 'ERR_EXISTS')) {
      throw new CairnError('ERR_EXISTS', `a repository already exists at ${backend.location}`, {
        hint: 'use it as it is, or choose another location',
        cause: error,
      });
    }
    throw error;
  }
  return openRepository(backend);
}

/** Opens the repository on `backend`: reads its config and loads every index file. */
export async function openRepository(backend: Backend): Promise<Repository> {
  const bytes = await readConfigBytes(backend);
  if (bytes === null) {
    throw new CairnError('ERR_NOT_REPOSITORY', `no cairn repository at ${backend.location} (it has no config file)`, {
      hint: 'create one with `cairn init`, or point --repo / CAIRN_REPO at an existing repository',
    });
  }
  const config = decodeConfig(bytes, `${backend.location}/config`);
  const zstd = await loadZstd();
  let loaded = await loadIndex(backend);
  const treePacks = createPackCache(backend, undefined, { treePack: true });
  const loadBlob = async (id: Id, type: BlobType): Promise<Uint8Array> => {
    const location = loaded.index.lookup(id);
    const hex = toHex(id);
    if (location === undefined) {
      throw new CairnError('ERR_NOT_FOUND', `${type} blob ${hex} is not in the index`, {
        hint: 'run `cairn check` to see what is damaged',
      });
    }
    const packFile = packFileName(location.packId);
    const where = `${type} blob ${hex} in ${packFile}`;
    let stored: Uint8Array;
    try {
      stored = type === 'tree'
        ? await treePacks.read(location.packId, location.offset, location.length)
        : await backend.read('data', toHex(location.packId), { offset: location.offset, length: location.length });
    } catch (error) {
      if (isCairnError(error) && error.code !== 'ERR_TRANSIENT') {
        throw new CairnError(error.code === 'ERR_NOT_FOUND' ? 'ERR_NOT_FOUND' : 'ERR_INTEGRITY', `${where}: ${error.message}`, { cause: error });
      }
      throw error;
    }
    return unpackBlob(stored, { id, codec: location.codec, rawLength: location.rawLength }, zstd, where);
  };
  return {
    backend,
    config,
    get index() {
      return loaded.index;
    },
    zstd,
    get indexProblems() {
      return loaded.problems;
    },
    get indexFiles() {
      return loaded.names;
    },
    async reloadIndex() {
      loaded = await loadIndex(backend);
    },
    loadBlob,
    loadTree: async (id, where) => decodeTree(await loadBlob(id, 'tree'), where),
  };
}


/** A blob index of every index file there is now (files a prune removes meanwhile are tolerated). */
async function loadIndex(backend: Backend): Promise<{ index: BlobIndex; names: string[]; problems: IndexProblem[] }> {
  const index = createBlobIndex();
  const { names, problems } = await readIndexFiles(backend, (_name, packs) => {
    for (const pack of packs) index.addPack(pack.id, pack.blobs);
  });
  return { index, names, problems };
}

async function readConfigBytes(backend: Backend): Promise<Uint8Array | null> {
  try {
    return await backend.read('config', 'config');
  } catch (error) {
    if (isCairnError(error, 'ERR_NOT_FOUND')) return null;
    throw error;
  }
}
