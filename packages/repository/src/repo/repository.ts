import { randomBytes } from 'node:crypto';
import { CairnError, isCairnError, toHex } from '@cairn/core';
import type { Backend, BlobType, CodecName, Id } from '@cairn/core';
import { DEFAULT_CHUNKER_PARAMS } from '@cairn/chunker';
import type { ChunkerParams } from '@cairn/chunker';
import { DELTA_FORMAT_VERSION, GROUP_FORMAT_VERSION, createBlobIndex, decodeConfig, decodeTree, encodeConfig, scanTree } from '@cairn/index';
import type { BlobIndex, RepoConfig, TreeListing, TreeNode } from '@cairn/index';
import { createMasterKey, loadZstd, TARGET_PACK_SIZE } from '@cairn/pack';
import type { CipherName, ScryptParams, ZstdCodec } from '@cairn/pack';
import { createEncryptedBackend, readConfigEnvelope } from './encrypted-backend.js';
import { unlockKey, writeKeyFile } from './keys.js';
import type { PasswordSource, RepositoryKey } from './keys.js';
import { unpackBlob } from './blob-check.js';
import { loadIndexFiles } from './index-files.js';
import type { IndexProblem } from './index-files.js';
import { packFileName } from './names.js';
import { createPackCache } from './pack-cache.js';
import { baseFailure } from './delta-chain.js';
import { createGroupCache } from './blob-group.js';
import type { BaseLoader } from './delta-chain.js';

/** loadBlob's own recursion through a delta chain stops here (deltaBases then names the damage). */
const MAX_READ_DEPTH = 64;

/** An open repository: its config, its blob index and the codec to read and write blobs. */
export interface Repository {
  /** Where its files are: in an encrypted repository, the layer that encrypts and decrypts them. */
  readonly backend: Backend;
  /** The key an encrypted repository was opened with; null when it is not encrypted. */
  readonly key: RepositoryKey | null;
  readonly config: RepoConfig;
  readonly index: BlobIndex;
  readonly zstd: ZstdCodec;
  /** Index files that could not be read when the repository was opened (`cairn check` names them). */
  readonly indexProblems: readonly IndexProblem[];
  /** The index files `index` was loaded from. */
  readonly indexFiles: readonly string[];
  /** Loads the index again from the index files there are now (a prune may have replaced some). */
  reloadIndex(): Promise<void>;
  /**
   * Reads a blob, checks its id and returns its plaintext. A delta's base is read through
   * `options.base` (default: loadBlob itself), so a caller that reads many deltas can read each base once.
   */
  loadBlob(id: Id, type: BlobType, options?: LoadBlobOptions): Promise<Uint8Array>;
  /** Reads and decodes a tree blob; `where` names it in errors. */
  loadTree(id: Id, where: string): Promise<TreeNode[]>;
  /** Reads a tree blob as a listing read in place (scanTree): for walks that need few full nodes. */
  loadTreeListing(id: Id, where: string): Promise<TreeListing>;
  /** Frees the tree packs kept for loadTree (up to 64 MB) once a walk is done with them: a restore after its plan. */
  forgetTreePacks(): void;
}

/** Options of Repository.loadBlob. */
export interface LoadBlobOptions {
  /** Gives a delta's base plaintext (checked against its id); default: loadBlob of the base. */
  readonly base?: BaseLoader;
}

/** Where the repository's files are: what snapshots, locks, records and settings need. */
export type RepositoryFiles = Pick<Repository, 'backend'>;

/** Reads a tree blob; `where` names it in errors. */
export type TreeLoader = Pick<Repository, 'loadTree'>;

/** Reads a tree blob as a listing read in place; `where` names it in errors. */
export type TreeListingLoader = Pick<Repository, 'loadTreeListing'>;

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
  /** The cipher of an encrypted repository; default 'none' without a password, 'aes-256-gcm' with one. */
  readonly encryption?: CipherName | 'none';
  /** The password of the repository's first key (required with an encryption). */
  readonly password?: string;
  /** scrypt's cost for the first key file (default DEFAULT_SCRYPT; tests choose less). */
  readonly kdf?: ScryptParams;
  /**
   * Whether backups may store delta blobs (default true): the config is then format version 2,
   * which a cairn before delta blobs refuses; false keeps version 1, readable by every cairn.
   */
  readonly deltas?: boolean;
  /**
   * Whether backups may store small data blobs in groups sharing one zstd frame (default true):
   * the config is then format version 3, which a cairn before grouped blobs refuses.
   */
  readonly groups?: boolean;
}

/** Options of openRepository. */
export interface OpenOptions {
  /** Asked for the password when the repository is encrypted. */
  readonly password?: PasswordSource;
}

/** Creates a new, empty repository on `backend`; ERR_EXISTS when one is already there. */
export async function initRepository(backend: Backend, options: InitOptions = {}): Promise<Repository> {
  const chunker = options.chunker ?? DEFAULT_CHUNKER_PARAMS;
  const encryption = options.encryption ?? (options.password === undefined ? 'none' : 'aes-256-gcm');
  if (encryption !== 'none' && options.password === undefined) {
    throw new CairnError('ERR_PASSWORD', `an encrypted repository needs a password (${encryption} asked for at ${backend.location})`, {
      hint: 'give one with --password-file, CAIRN_PASSWORD or CAIRN_PASSWORD_COMMAND, or type it when asked',
    });
  }
  const deltas = options.deltas ?? true;
  const groups = options.groups ?? true;
  const config: RepoConfig = {
    version: groups ? GROUP_FORMAT_VERSION : deltas ? DELTA_FORMAT_VERSION : 1,
    id: randomBytes(32).toString('hex'),
    createdAt: new Date().toISOString(),
    chunker: { algorithm: 'fastcdc', min: chunker.min, avg: chunker.avg, max: chunker.max },
    hash: 'sha256',
    compression: { codec: options.compression ?? 'zstd', level: options.compressionLevel ?? 3 },
    encryption,
    packSize: options.packSize ?? TARGET_PACK_SIZE,
    ...(deltas ? { deltas: true } : {}),
    ...(groups ? { groups: true } : {}),
  };
  await backend.create();
  let stored = backend;
  let keyName: string | null = null;
  if (encryption !== 'none') {
    if ((await readConfigBytes(backend)) !== null) throw existsError(backend);
    // The key file first: a config is never left without a key that opens it.
    const master = createMasterKey();
    keyName = await writeKeyFile(backend, master, encryption, options.password!, options.kdf);
    stored = createEncryptedBackend(backend, encryption, master);
  }
  try {
    // Exclusive: an existing config (another random id, so other bytes) is never replaced.
    await stored.write('config', 'config', encodeConfig(config));
  } catch (error) {
    if (keyName !== null) await backend.remove('key', keyName);
    throw isCairnError(error, 'ERR_EXISTS') ? existsError(backend, error) : error;
  }
  const password = options.password;
  return openRepository(backend, password === undefined ? {} : { password: async () => password });
}

function existsError(backend: Backend, cause?: unknown): CairnError {
  return new CairnError('ERR_EXISTS', `a repository already exists at ${backend.location}`, {
    hint: 'use it as it is, or choose another location',
    cause,
  });
}

/**
 * Opens the repository on `backend`: reads its config and loads every index file. An encrypted
 * repository asks `options.password` for its password (ERR_PASSWORD without one, or when no key matches it).
 */
export async function openRepository(rawBackend: Backend, options: OpenOptions = {}): Promise<Repository> {
  let bytes = await readConfigBytes(rawBackend);
  if (bytes === null) {
    throw new CairnError('ERR_NOT_REPOSITORY', `no cairn repository at ${rawBackend.location} (it has no config file)`, {
      hint: 'create one with `cairn init`, or point --repo / CAIRN_REPO at an existing repository',
    });
  }
  let backend = rawBackend;
  let key: RepositoryKey | null = null;
  const envelope = readConfigEnvelope(bytes);
  if (envelope !== null) {
    // Checked as a config would be: an unknown version or cipher is named before any password is asked for.
    const cipher = decodeConfigHeader(envelope, `${rawBackend.location}/config`);
    if (options.password === undefined) {
      throw new CairnError('ERR_PASSWORD', `the repository at ${rawBackend.location} is encrypted: it needs a password`, {
        hint: 'give it with --password-file, CAIRN_PASSWORD or CAIRN_PASSWORD_COMMAND, or run cairn on a terminal to type it',
      });
    }
    key = await unlockKey(rawBackend, cipher, await options.password());
    backend = createEncryptedBackend(rawBackend, cipher, key.master);
    bytes = await backend.read('config', 'config');
  }
  const config = decodeConfig(bytes, `${backend.location}/config`);
  if ((envelope?.encryption ?? 'none') !== config.encryption) {
    throw new CairnError('ERR_FORMAT', `${backend.location}/config: malformed config: it is stored ${envelope === null ? 'in the clear' : `encrypted with ${envelope.encryption}`} but says encryption ${JSON.stringify(config.encryption)}`);
  }
  const zstd = await loadZstd();
  let loaded = await loadIndex(backend);
  const treePacks = createPackCache(backend, undefined, { treePack: true });
  // A member read after its neighbours (the files of one folder) decodes its group once.
  const groups = createGroupCache(zstd);
  const loadBlob = (id: Id, type: BlobType, options: LoadBlobOptions = {}): Promise<Uint8Array> => loadChained(id, type, options.base, 0);
  const loadChained = async (id: Id, type: BlobType, baseLoader: BaseLoader | undefined, depth: number): Promise<Uint8Array> => {
    const location = loaded.index.lookup(id);
    if (location === undefined) {
      throw new CairnError('ERR_NOT_FOUND', `${type} blob ${toHex(id)} is not in the index`, {
        hint: 'run `cairn check` to see what is damaged',
      });
    }
    // Named only when something goes wrong (or for a group): most loads never need the text.
    const named = (): string => `${type} blob ${toHex(id)} in ${packFileName(location.packId)}`;
    const read = async (): Promise<Uint8Array> => {
      try {
        return type === 'tree'
          ? await treePacks.read(location.packId, location.offset, location.length)
          : await backend.read('data', toHex(location.packId), { offset: location.offset, length: location.length });
      } catch (error) {
        if (isCairnError(error) && error.code !== 'ERR_TRANSIENT') {
          throw new CairnError(error.code === 'ERR_NOT_FOUND' ? 'ERR_NOT_FOUND' : 'ERR_INTEGRITY', `${named()}: ${error.message}`, { cause: error });
        }
        throw error;
      }
    };
    if (location.codec === 'group') {
      const where = named();
      let group: Uint8Array;
      try {
        group = await groups.plain(location, read, where);
      } catch (error) {
        // A shared decode names the member that started it: each member names itself.
        if (!isCairnError(error) || error.code === 'ERR_TRANSIENT' || error.message.startsWith(where)) throw error;
        throw new CairnError(error.code, `${where}: its group cannot be read: ${error.message}`, { cause: error, ...(error.hint === undefined ? {} : { hint: error.hint }) });
      }
      return unpackBlob(group, { id, codec: 'group', rawLength: location.rawLength, groupAt: location.groupAt ?? 0, groupRaw: location.groupRaw ?? 0 }, { backend, zstd }, where, undefined, undefined, group);
    }
    const stored = await read();
    let base: Uint8Array | undefined;
    if (location.base !== undefined) {
      if (depth >= MAX_READ_DEPTH) throw new CairnError('ERR_FORMAT', `${named()} stands on a chain of more than ${MAX_READ_DEPTH} deltas (a loop, or damage)`);
      try {
        base = await (baseLoader ?? ((next: Id) => loadChained(next, 'data', undefined, depth + 1)))(location.base);
      } catch (error) {
        if (isCairnError(error, 'ERR_TRANSIENT') || isCairnError(error, 'ERR_ABORTED')) throw error;
        throw baseFailure(named(), location.base, error);
      }
    }
    return unpackBlob(stored, { id, codec: location.codec, rawLength: location.rawLength }, { backend, zstd }, named, undefined, base);
  };
  return {
    backend,
    key,
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
    loadTreeListing: async (id, where) => scanTree(await loadBlob(id, 'tree'), where),
    forgetTreePacks: () => treePacks.clear(),
  };
}

/** A blob index of every index file there is now (files a prune removes meanwhile are tolerated). */
async function loadIndex(backend: Backend): Promise<{ index: BlobIndex; names: string[]; problems: IndexProblem[] }> {
  const index = createBlobIndex();
  const { names, problems } = await loadIndexFiles(backend, index);
  return { index, names, problems };
}

/** The cipher an encrypted config's envelope names, checked as decodeConfig checks a config. */
function decodeConfigHeader(envelope: object, where: string): CipherName {
  const { sealed, ...header } = envelope as Record<string, unknown>;
  if (typeof sealed !== 'string') throw new CairnError('ERR_FORMAT', `${where}: malformed config: sealed is not a string`);
  decodeConfigFields(header, where);
  return header['encryption'] as CipherName;
}

/** Runs decodeConfig's checks of version and encryption on the cleartext fields of an envelope. */
function decodeConfigFields(header: Record<string, unknown>, where: string): void {
  try {
    decodeConfig(new TextEncoder().encode(JSON.stringify(header)), where);
  } catch (error) {
    // The other fields are sealed: only version and encryption may be refused here.
    if (isCairnError(error, 'ERR_VERSION') || isCairnError(error, 'ERR_UNSUPPORTED')) throw error;
  }
  if (header['encryption'] === 'none' || typeof header['encryption'] !== 'string') {
    throw new CairnError('ERR_FORMAT', `${where}: malformed config: an encrypted config names encryption ${JSON.stringify(header['encryption'])}`);
  }
}

async function readConfigBytes(backend: Backend): Promise<Uint8Array | null> {
  try {
    return await backend.read('config', 'config');
  } catch (error) {
    if (isCairnError(error, 'ERR_NOT_FOUND')) return null;
    throw error;
  }
}
