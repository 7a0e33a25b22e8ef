import { homedir } from 'node:os';
import { join, posix } from 'node:path';
import type { SFTPWrapper } from 'ssh2';
import { CairnError } from '@cairn/core';
import type { Backend, ByteRange, FileInfo, FileType, StorageSpace } from '@cairn/core';
import {
  assertFileName, assertFileType, assertRange, isFileName, samePieces, STALE_TEMP_MS, TEMP_PREFIX,
  tempFileName, tempWriterGone, toPieces, totalLength, truncatedError,
} from '@cairn/transport';
import { defaultAuthSources } from './sftp-auth.js';
import type { AuthSources } from './sftp-auth.js';
import { SFTP_STATUS } from './sftp-errors.js';
import {
  closeFile, fstatHandle, mkdirPath, openFile, readFolder, readRange, renameNoReplace, renameReplace, statFilesystem,
  statPath, statusOf, syncFile, unlinkPath, writePieces,
} from './sftp-io.js';
import { parseSftpLocation } from './sftp-location.js';
import { createSftpSession } from './sftp-session.js';

/** Options of an sftp backend; each defaults from the environment as described. */
export interface SftpBackendOptions {
  /** The ssh agent's socket (default SSH_AUTH_SOCK; null: no agent). */
  readonly agent?: string | null;
  /** Private key files to try (default CAIRN_SFTP_KEY, else ~/.ssh/id_ed25519, id_ecdsa, id_rsa). */
  readonly identityFiles?: readonly string[];
  /** known_hosts files (default CAIRN_SFTP_KNOWN_HOSTS, a ":"-separated list, else ~/.ssh/known_hosts and /etc/ssh/ssh_known_hosts). */
  readonly knownHostsFiles?: readonly string[];
  /** Add an unknown host's key to the first known_hosts file instead of refusing it (default: CAIRN_SFTP_ACCEPT_NEW_HOST_KEY=yes). */
  readonly acceptNewHostKey?: boolean;
  /** SFTP channels on the one ssh connection (default 4). */
  readonly channels?: number;
  /** Operations in flight at once (default 16). */
  readonly maxParallel?: number;
  /** How long connecting may take, in ms (default 20 000). */
  readonly timeoutMs?: number;
  /** How long operations may wait without hearing from the server before the connection counts as lost, in ms (default 60 000). */
  readonly idleTimeoutMs?: number;
}

/** A Backend over SFTP, which can also end its connection. */
export interface SftpBackend extends Backend {
  /** Ends the ssh connection (the next operation opens a new one). */
  close(): Promise<void>;
}

const typeFolders: Readonly<Record<Exclude<FileType, 'config'>, string>> = {
  data: 'data', index: 'index', snapshot: 'snapshots', key: 'keys', lock: 'locks',
};
const dataFolders = Array.from({ length: 256 }, (_, i) => `data/${i.toString(16).padStart(2, '0')}`);

/**
 * A repository in a folder of an SFTP server (`sftp:user@host:/path`, `sftp:user@host:rel/path`,
 * `sftp://user@host:port//abs/path`), laid out as a local one (`config`, `data/<2 hex>/<name>`,
 * `index/`, `snapshots/`, `keys/`, `locks/`). A write goes to a temporary file in the same folder (a pack's: in data/),
 * is synced with fsync@openssh.com where the server offers it, and is put in place with SFTP's own
 * rename, which never replaces a file; when the name exists its bytes are compared (the same: done,
 * others: ERR_EXISTS). The connection opens on the first operation; wrap the backend in withRetries
 * to ride over dropped connections.
 */
export function createSftpBackend(spec: string, options: SftpBackendOptions = {}): SftpBackend {
  const location = parseSftpLocation(spec);
  const env = process.env;
  const sources = defaultAuthSources(env);
  const auth: AuthSources = {
    agent: options.agent === undefined ? sources.agent : options.agent ?? undefined,
    identityFiles: options.identityFiles ?? sources.identityFiles,
  };
  const knownHostsFiles = options.knownHostsFiles
    ?? (env['CAIRN_SFTP_KNOWN_HOSTS'] ? env['CAIRN_SFTP_KNOWN_HOSTS'].split(':').filter(Boolean)
      : [join(homedir(), '.ssh', 'known_hosts'), '/etc/ssh/ssh_known_hosts']);
  const session = createSftpSession({
    location,
    auth,
    keyNamed: options.identityFiles !== undefined || Boolean(env['CAIRN_SFTP_KEY']),
    knownHostsFiles,
    acceptNewHostKey: options.acceptNewHostKey ?? /^(1|yes|true)$/i.test(env['CAIRN_SFTP_ACCEPT_NEW_HOST_KEY'] ?? ''),
    channels: positive('channels', options.channels ?? 4),
    maxParallel: positive('maxParallel', options.maxParallel ?? 16),
    timeoutMs: positive('timeoutMs', options.timeoutMs ?? 20_000),
    idleTimeoutMs: positive('idleTimeoutMs', options.idleTimeoutMs ?? 60_000),
  });
  const root = location.path;
  const at = (relative: string): string => (relative === '' ? root : posix.join(root, relative));
  const folderOf = (type: FileType): string => (type === 'config' ? root : at(typeFolders[type]));
  const fileOf = (type: FileType, name: string): string =>
    type === 'config' ? at('config') : type === 'data' ? at(`data/${name.slice(0, 2)}/${name}`) : at(`${typeFolders[type]}/${name}`);
  const run = session.run;

  return {
    location: location.display,

    async create() {
      await run(`create the repository folder ${root}`, async (sftp) => {
        const existing = await statPath(sftp, root).catch(notFoundAsUndefined);
        if (existing !== undefined && !existing.isDirectory()) {
          throw new CairnError('ERR_EXISTS', `${location.display}: ${root} exists and is not a folder`, { hint: 'choose another repository location' });
        }
        if (existing === undefined) await makeFolders(sftp, ancestors(root));
        await makeFolders(sftp, Object.values(typeFolders).map(at));
        await Promise.all(dataFolders.map((folder) => makeFolder(sftp, at(folder))));
      });
    },

    async write(type, name, data) {
      assertFileName(type, name);
      const pieces = toPieces(data);
      const file = fileOf(type, name);
      await run(`write ${file}`, (sftp) => writeOnce(sftp, file, pieces, type === 'data'));
    },

    async read(type, name, range?: ByteRange) {
      assertFileName(type, name);
      if (range !== undefined) assertRange(range);
      const file = fileOf(type, name);
      return await run(`read ${file}`, async (sftp) => {
        const handle = await openFile(sftp, file, 'r');
        try {
          const size = (await fstatHandle(sftp, handle)).size;
          const wanted = range ?? { offset: 0, length: size };
          if (wanted.offset + wanted.length > size) throw truncatedError(`${location.display} ${file}`, wanted, size);
          const { bytes, got } = await readRange(sftp, handle, wanted.offset, wanted.length);
          if (got < wanted.length) throw truncatedError(`${location.display} ${file}`, wanted, wanted.offset + got);
          return bytes;
        } finally {
          await closeFile(sftp, handle).catch(() => undefined);
        }
      });
    },

    async stat(type, name): Promise<FileInfo> {
      assertFileName(type, name);
      const file = fileOf(type, name);
      return await run(`stat ${file}`, async (sftp) => ({ name, size: (await statPath(sftp, file)).size }));
    },

    async *list(type) {
      assertFileType(type);
      const top = folderOf(type);
      const folders = type === 'data'
        ? (await entries(top)).filter((e) => e.attrs.isDirectory() && /^[0-9a-f]{2}$/.test(e.filename)).map((e) => `${top}/${e.filename}`)
        : [top];
      const listings = folders.map((folder) => entries(folder).then((found) => ({ folder, found })));
      listings.forEach((listing) => listing.catch(() => undefined));
      for (const listing of listings) {
        const { folder, found } = await listing;
        for (const entry of found) {
          if (!entry.attrs.isFile() || !isFileName(type, entry.filename)) continue;
          if (type === 'data' && !folder.endsWith(entry.filename.slice(0, 2))) continue;
          yield { name: entry.filename, size: entry.attrs.size };
        }
      }
    },

    async remove(type, name) {
      assertFileName(type, name);
      const file = fileOf(type, name);
      await run(`remove ${file}`, (sftp) => unlinkPath(sftp, file).catch(notFoundAsUndefined));
    },

    async replaceConfig(data) {
      if (!(data instanceof Uint8Array)) throw new TypeError('replaceConfig wants the config bytes as a Uint8Array');
      const file = fileOf('config', 'config');
      const temp = at(tempFileName());
      await run(`replace ${file}`, async (sftp) => {
        try {
          await writeTemp(sftp, temp, [data], false);
          await renameReplace(sftp, temp, file);
        } catch (error) {
          await unlinkPath(sftp, temp).catch(() => undefined);
          throw error;
        }
      });
    },

    async space(): Promise<StorageSpace> {
      return await run(`read the free space of ${root}`, (sftp) => statFilesystem(sftp, root));
    },

    async removeStaleTemporaries() {
      const removed: string[] = [];
      const now = Date.now();
      for (const folder of ['', ...Object.values(typeFolders)]) {
        for (const entry of await entries(at(folder))) {
          if (!entry.filename.startsWith(TEMP_PREFIX)) continue;
          if (!tempWriterGone(entry.filename) && now - entry.attrs.mtime * 1000 < STALE_TEMP_MS) continue;
          const file = at(folder === '' ? entry.filename : `${folder}/${entry.filename}`);
          await run(`remove ${file}`, (sftp) => unlinkPath(sftp, file).catch(notFoundAsUndefined));
          removed.push(folder === '' ? entry.filename : `${folder}/${entry.filename}`);
        }
      }
      return removed;
    },

    close: () => session.close(),
  };

  /** Writes `file` once: a synced temporary file renamed without replacing; an existing name must hold the same bytes. */
  async function writeOnce(sftp: SFTPWrapper, file: string, pieces: readonly Uint8Array[], isData: boolean): Promise<void> {
    // A pack's temporary file goes into data/ itself, not data/<2 hex>/: the sweep of stale
    // temporaries (every backup's start) then reads 6 folders, not 262 (a round trip each).
    const folder = posix.dirname(file);
    const temp = posix.join(isData ? posix.dirname(folder) : folder, tempFileName());
    try {
      await writeTemp(sftp, temp, pieces, isData);
      try {
        await renameNoReplace(sftp, temp, file);
        return;
      } catch (error) {
        const existing = await statPath(sftp, file).catch(notFoundAsUndefined);
        if (existing === undefined && isData && (await statPath(sftp, folder).catch(notFoundAsUndefined)) === undefined) {
          // A repository made elsewhere may lack data/<2 hex>/ folders: make this one and put the file in place.
          await makeFolder(sftp, folder);
          await renameNoReplace(sftp, temp, file);
          return;
        }
        if (existing === undefined) throw error;
      }
      await unlinkPath(sftp, temp).catch(() => undefined);
      await assertSameContent(sftp, file, pieces);
    } catch (error) {
      await unlinkPath(sftp, temp).catch(() => undefined);
      throw error;
    }
  }

  /** Writes and syncs a new temporary file; with `makeParent`, its missing folder is made first. */
  async function writeTemp(sftp: SFTPWrapper, temp: string, pieces: readonly Uint8Array[], makeParent: boolean): Promise<void> {
    let handle: Buffer;
    try {
      handle = await openFile(sftp, temp, 'wx');
    } catch (error) {
      if (!makeParent || statusOf(error) !== SFTP_STATUS.NO_SUCH_FILE) throw error;
      await makeFolder(sftp, posix.dirname(temp));
      handle = await openFile(sftp, temp, 'wx');
    }
    try {
      await writePieces(sftp, handle, pieces);
      await syncFile(sftp, handle);
    } catch (error) {
      await closeFile(sftp, handle).catch(() => undefined);
      throw error;
    }
    await closeFile(sftp, handle);
  }

  async function assertSameContent(sftp: SFTPWrapper, file: string, pieces: readonly Uint8Array[]): Promise<void> {
    const differs = new CairnError('ERR_EXISTS', `${location.display}: ${file} already exists with different content`, {
      hint: 'a file of this name was written before with other bytes; run `cairn check`',
    });
    const size = totalLength(pieces);
    const handle = await openFile(sftp, file, 'r');
    try {
      const stat = await fstatHandle(sftp, handle);
      if (!stat.isFile() || stat.size !== size) throw differs;
      const { bytes, got } = await readRange(sftp, handle, 0, size);
      if (got !== size || !samePieces(bytes, pieces)) throw differs;
    } finally {
      await closeFile(sftp, handle).catch(() => undefined);
    }
  }

  /** A folder's entries; none when it does not exist. */
  function entries(folder: string) {
    return run(`list ${folder}`, (sftp) => readFolder(sftp, folder).catch((error: unknown) => notFoundAsUndefined(error) ?? []));
  }

  async function makeFolders(sftp: SFTPWrapper, folders: readonly string[]): Promise<void> {
    for (const folder of folders) await makeFolder(sftp, folder);
  }

  /** Makes `folder`; one that exists is fine, a file in its place is ERR_EXISTS. */
  async function makeFolder(sftp: SFTPWrapper, folder: string): Promise<void> {
    try {
      await mkdirPath(sftp, folder);
    } catch (error) {
      const existing = await statPath(sftp, folder).catch(notFoundAsUndefined);
      if (existing === undefined) throw error;
      if (!existing.isDirectory()) {
        throw new CairnError('ERR_EXISTS', `${location.display}: ${folder} exists and is not a folder`, { cause: error });
      }
    }
  }
}

/** Undefined for an SFTP "no such file"; rethrows anything else. */
function notFoundAsUndefined(error: unknown): undefined {
  if (statusOf(error) === SFTP_STATUS.NO_SUCH_FILE) return undefined;
  throw error;
}

/** `path` and the folders above it, outermost first, without "/" and ".". */
function ancestors(path: string): string[] {
  const parts = path.split('/');
  const out: string[] = [];
  for (let i = 1; i <= parts.length; i++) {
    const prefix = parts.slice(0, i).join('/');
    if (prefix !== '' && prefix !== '.') out.push(prefix);
  }
  return out;
}

function positive(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`sftp ${name} must be a whole number of at least 1, got ${value}`);
  return value;
}

