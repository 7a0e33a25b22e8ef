import { CairnError, isCairnError } from '@cairn/core';
import type { Backend, ByteRange, FileHint, FileInfo, FileType } from '@cairn/core';
import { createFileCipher, plainLengthOf, SEALED_HEADER_LENGTH, sealedRange } from '@cairn/pack';
import type { CipherName, MasterKey } from '@cairn/pack';
import { useKeyedIds } from './content-ids.js';

const encoder = new TextEncoder();
const CACHED_FILES = 4096;
/** Where each kind of file lives (docs/FORMAT.md, "Layout"), to name files in messages. */
const FOLDERS: Record<FileType, string> = { config: 'config', data: 'data/', index: 'index/', snapshot: 'snapshots/', key: 'keys/', lock: 'locks/' };

/** The cleartext part of an encrypted repository's config: enough to find the keys; `sealed` holds the config itself. */
export interface ConfigEnvelope {
  readonly version: number;
  readonly id: string;
  readonly encryption: CipherName;
  readonly sealed: string;
}

/** The envelope of an encrypted repository's config, or null for a plain config. */
export function readConfigEnvelope(bytes: Uint8Array): ConfigEnvelope | null {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return null; // decodeConfig names what is wrong
  }
  if (typeof value !== 'object' || value === null || !Object.hasOwn(value, 'sealed')) return null;
  return value as ConfigEnvelope;
}

/** The kinds of file named by the (keyed) hash of their plaintext. */
const CONTENT_NAMED: ReadonlySet<FileType> = new Set(['data', 'index', 'snapshot']);

/**
 * The one encryption layer: a Backend that encrypts every file it writes (the config inside a
 * cleartext envelope; key files, which wrap the keys themselves, as they are) and decrypts and
 * authenticates every file it reads. Sizes and ranges are plaintext ones: a range read decrypts
 * only the segments that cover it. Writing a name that exists succeeds when the stored file
 * decrypts to the same plaintext (encryption is randomized, so the bytes differ); a data, index or
 * snapshot file there that fails authentication (an upload cut short) is replaced.
 */
export function createEncryptedBackend(inner: Backend, cipherName: CipherName, master: MasterKey): Backend {
  const cipher = createFileCipher(cipherName, master.encryption);
  const aad = (type: FileType, name: string): Uint8Array => encoder.encode(`${type}/${name}`);
  const where = (type: FileType, name: string): string => `${inner.location}/${FOLDERS[type]}${type === 'data' ? `${name.slice(0, 2)}/` : ''}${type === 'config' ? '' : name}`;
  // Stored size and header of files read by range; files never change under a name.
  const headers = new Map<string, { plainLength: number; header: Uint8Array }>();

  const plainSize = (type: FileType, info: FileInfo): number => {
    if (type === 'key') return info.size;
    const plain = plainLengthOf(info.size);
    if (plain === null) {
      throw new CairnError('ERR_INTEGRITY', `${where(type, info.name)} is damaged: its ${info.size} bytes are no whole encrypted file (truncated?)`);
    }
    return plain;
  };

  const sealConfig = (plain: Uint8Array): Uint8Array => {
    const config = JSON.parse(new TextDecoder().decode(plain)) as { version: number; id: string };
    const envelope: ConfigEnvelope = {
      version: config.version,
      id: config.id,
      encryption: cipherName,
      sealed: Buffer.from(cipher.seal(aad('config', 'config'), [plain])).toString('base64'),
    };
    return encoder.encode(`${JSON.stringify(envelope, null, 2)}\n`);
  };

  const openConfig = (stored: Uint8Array): Uint8Array => {
    const envelope = readConfigEnvelope(stored);
    if (envelope === null || typeof envelope.sealed !== 'string') {
      throw new CairnError('ERR_FORMAT', `${where('config', 'config')} is not the config of an encrypted repository`);
    }
    return cipher.open(aad('config', 'config'), Buffer.from(envelope.sealed, 'base64'), where('config', 'config'));
  };

  const readPlain = async (type: FileType, name: string, range?: ByteRange, hint?: FileHint, into?: Uint8Array): Promise<Uint8Array> => {
    if (range === undefined) return cipher.open(aad(type, name), await inner.read(type, name, undefined, hint), where(type, name));
    const cached = headers.has(`${type}/${name}`);
    try {
      return await readRange(type, name, range, hint, into);
    } catch (error) {
      // A file removed and written again (by a prune, then a backup) has a new salt: read its header anew, once.
      if (!cached || !isCairnError(error, 'ERR_INTEGRITY')) throw error;
      headers.delete(`${type}/${name}`);
      return readRange(type, name, range, hint, into);
    }
  };

  /**
   * A range of a file's plaintext. With `into` (the reader's buffer) as large as the stored
   * segments, they are read into it and decrypted in their place: no buffer per read.
   */
  const readRange = async (type: FileType, name: string, range: ByteRange, hint?: FileHint, into?: Uint8Array): Promise<Uint8Array> => {
    const key = `${type}/${name}`;
    let file = headers.get(key);
    if (file === undefined) {
      const plainLength = plainSize(type, await inner.stat(type, name));
      const header = await inner.read(type, name, { offset: 0, length: SEALED_HEADER_LENGTH }, hint);
      file = { plainLength, header };
      if (headers.size >= CACHED_FILES) headers.delete(headers.keys().next().value as string);
      headers.set(key, file);
    }
    if (range.offset + range.length > file.plainLength) {
      throw new CairnError('ERR_INTEGRITY', `${where(type, name)}: short read (${range.offset}+${range.length} of ${file.plainLength} bytes)`);
    }
    const stored = sealedRange(range.offset, range.length, file.plainLength);
    const fits = into !== undefined && into.length >= stored.length;
    const bytes = await inner.read(type, name, { offset: stored.offset, length: stored.length }, fits ? { ...hint, into } : hint);
    return cipher.openSegments(aad(type, name), file.header, file.plainLength, stored, bytes, where(type, name), fits ? into : undefined).subarray(0, range.length);
  };

  const backend: Backend = {
    location: inner.location,
    create: () => inner.create(),
    async write(type, name, data, hint) {
      if (type === 'key') return inner.write(type, name, data, hint);
      const parts = data instanceof Uint8Array ? [data] : data;
      const whole = (): Buffer => Buffer.concat(parts);
      try {
        await inner.write(type, name, type === 'config' ? sealConfig(whole()) : cipher.sealParts(aad(type, name), parts), hint);
      } catch (error) {
        if (!isCairnError(error, 'ERR_EXISTS') || type === 'config') throw error;
        let existing: Uint8Array;
        try {
          existing = await readPlain(type, name, undefined, hint);
        } catch (readError) {
          // A content-named file that is no encrypted file of this repository is no one's content:
          // the remains of an upload cut short where the storage writes in place (rclone; it may be
          // empty or shorter than a header). Its name is its content's: replace it.
          if (!(isCairnError(readError, 'ERR_INTEGRITY') || isCairnError(readError, 'ERR_FORMAT')) || !CONTENT_NAMED.has(type)) throw readError;
          headers.delete(`${type}/${name}`);
          await inner.remove(type, name);
          await inner.write(type, name, cipher.sealParts(aad(type, name), parts), hint);
          return;
        }
        if (!Buffer.from(existing).equals(whole())) throw error;
      }
    },
    async read(type, name, range, readHint) {
      // A buffer to read into is passed on only for a range's segments, which are decrypted in
      // it (see readRange): the header of a file read in ranges is kept (it would be a view of a
      // buffer the reader reuses), and a whole file's plaintext is not what is stored.
      const { into, ...hint } = readHint ?? {};
      if (type === 'key') return inner.read(type, name, range, hint);
      if (type === 'config') {
        const plain = openConfig(await inner.read(type, name));
        return range === undefined ? plain : plain.subarray(range.offset, range.offset + range.length);
      }
      return readPlain(type, name, range, hint, into);
    },
    async stat(type, name) {
      const info = await inner.stat(type, name);
      return type === 'config' ? info : { name: info.name, size: plainSize(type, info) };
    },
    async *list(type) {
      for await (const info of inner.list(type)) {
        // A size no encrypted file has (a truncated file) is listed as stored; reading it fails.
        yield type === 'key' || type === 'config' ? info : { name: info.name, size: plainLengthOf(info.size) ?? info.size };
      }
    },
    async remove(type, name) {
      headers.delete(`${type}/${name}`);
      await inner.remove(type, name);
    },
    ...(inner.replaceConfig === undefined ? {} : { replaceConfig: (data: Uint8Array) => inner.replaceConfig!(sealConfig(data)) }),
    ...(inner.space === undefined ? {} : { space: () => inner.space!() }),
    ...(inner.removeStaleTemporaries === undefined ? {} : { removeStaleTemporaries: () => inner.removeStaleTemporaries!() }),
    ...(inner.appendOnly === undefined ? {} : { appendOnly: () => inner.appendOnly!() }),
  };
  useKeyedIds(backend, master.mac);
  return backend;
}
