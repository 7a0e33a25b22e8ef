import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Backend, ByteRange, FileHint, FileType } from '@cairn/core';
import { assertRange, concatPieces, toPieces, truncatedError } from '@cairn/transport';

/** Options of withCache. */
export interface CacheOptions {
  /** The cache's root folder; each repository gets the subfolder named by its id. */
  readonly dir: string;
  /** The repository's id when the caller knows it; by default it is read from the config as it passes. */
  readonly id?: string;
}


/** File types the cache keeps whole; data files only when they are tree packs. */
const KEPT: ReadonlySet<FileType> = new Set(['index', 'snapshot', 'key', 'data']);
const CHECK_LENGTH = 32;

/**
 * Wraps a (remote) backend with a local cache of the files every command reads again: index,
 * snapshot and key files, and the packs of tree blobs (the engine marks them with
 * `{ treePack: true }` when it writes and reads them), so a no-op backup downloads only the
 * config and locks. Repository files are write-once, so a cached copy stays right for as long
 * as the file exists; `list(type)` drops the cached copies of files no longer listed (a prune
 * removed them). Each cached file ends with its SHA-256: a damaged or truncated copy is dropped
 * and read again from the backend. The config, which `cairn config` may replace, is always read
 * from the backend, and gives the cache its folder (`dir/<repository id>`). Cache failures never
 * fail a command: the backend is asked instead.
 */
export function withCache(backend: Backend, options: CacheOptions): Backend {
  let folder = options.id === undefined ? undefined : join(options.dir, options.id);
  const useConfig = (bytes: Uint8Array): void => {
    folder = join(options.dir, repositoryKey(bytes, backend.location));
  };
  const pathOf = (type: FileType, name: string): string | undefined => (folder === undefined ? undefined : join(folder, type, name));
  const kept = (type: FileType, hint: FileHint | undefined): boolean => KEPT.has(type) && (type !== 'data' || hint?.treePack === true);

  const load = async (type: FileType, name: string): Promise<Uint8Array | undefined> => {
    const path = pathOf(type, name);
    if (path === undefined) return undefined;
    const stored = await readFile(path).catch(() => undefined);
    if (stored === undefined) return undefined;
    const content = stored.subarray(0, Math.max(0, stored.length - CHECK_LENGTH));
    const check = stored.subarray(content.length);
    if (stored.length >= CHECK_LENGTH && createHash('sha256').update(content).digest().equals(check)) return new Uint8Array(content);
    await rm(path, { force: true }).catch(() => undefined); // damaged: read it again from the backend
    return undefined;
  };

  const store = async (type: FileType, name: string, bytes: Uint8Array): Promise<void> => {
    const path = pathOf(type, name);
    if (path === undefined || folder === undefined) return;
    const temp = join(folder, type, `.tmp-${randomBytes(8).toString('hex')}`);
    try {
      await mkdir(join(folder, type), { recursive: true });
      await writeFile(temp, [bytes, createHash('sha256').update(bytes).digest()]);
      await rename(temp, path);
    } catch {
      await rm(temp, { force: true }).catch(() => undefined); // a cache that cannot be written is only slower
    }
  };

  const cut = (bytes: Uint8Array, file: string, range: ByteRange | undefined): Uint8Array => {
    if (range === undefined) return bytes;
    if (range.offset + range.length > bytes.length) throw truncatedError(file, range, bytes.length);
    return bytes.slice(range.offset, range.offset + range.length);
  };

  const wrapped: Backend = {
    location: backend.location,
    create: () => backend.create(),

    async write(type, name, data, hint) {
      await backend.write(type, name, data, hint);
      if (type === 'config') useConfig(concatPieces(toPieces(data)));
      else if (kept(type, hint)) await store(type, name, concatPieces(toPieces(data)));
    },

    async read(type, name, range, hint) {
      if (type === 'config') {
        const bytes = await backend.read(type, name, range, hint);
        if (range === undefined) useConfig(bytes);
        return bytes;
      }
      if (KEPT.has(type)) {
        if (range !== undefined) assertRange(range);
        const cached = await load(type, name);
        if (cached !== undefined) return cut(cached, `${backend.location} ${type} ${name} (cached)`, range);
      }
      if (!kept(type, hint) || range !== undefined) return backend.read(type, name, range, hint);
      const bytes = await backend.read(type, name, undefined, hint);
      await store(type, name, bytes);
      return bytes;
    },

    stat: (type, name) => backend.stat(type, name),

    async *list(type) {
      const listed = new Set<string>();
      for await (const file of backend.list(type)) {
        listed.add(file.name);
        yield file;
      }
      // Only a complete listing says which files are gone.
      const dir = pathOf(type, '');
      if (!KEPT.has(type) || dir === undefined) return;
      const cached = await readdir(dir).catch(() => [] as string[]);
      await Promise.all(cached.filter((name) => !listed.has(name)).map((name) => rm(join(dir, name), { force: true }).catch(() => undefined)));
    },

    async remove(type, name) {
      await backend.remove(type, name);
      const path = pathOf(type, name);
      if (path !== undefined && KEPT.has(type)) await rm(path, { force: true }).catch(() => undefined);
    },
  };
  if (backend.replaceConfig !== undefined) {
    const replace = backend.replaceConfig.bind(backend);
    wrapped.replaceConfig = async (data) => {
      await replace(data);
      useConfig(data);
    };
  }
  if (backend.space !== undefined) wrapped.space = backend.space.bind(backend);
  if (backend.removeStaleTemporaries !== undefined) wrapped.removeStaleTemporaries = backend.removeStaleTemporaries.bind(backend);
  if (backend.appendOnly !== undefined) wrapped.appendOnly = backend.appendOnly.bind(backend);
  return wrapped;
}

/** The cache folder's name: the repository id from its config, or a hash of the location when the config has none to read. */
function repositoryKey(config: Uint8Array, location: string): string {
  try {
    const id = (JSON.parse(new TextDecoder().decode(config)) as { id?: unknown }).id;
    if (typeof id === 'string' && /^[0-9a-f]{16,128}$/.test(id)) return id;
  } catch {
    // not JSON (an encrypted config): fall through
  }
  return createHash('sha256').update(location).digest('hex');
}
