import { hostname, userInfo } from 'node:os';
import { CairnError, isCairnError, toHex } from '@cairn/core';
import type { Backend } from '@cairn/core';
import { blobId } from '@cairn/chunker';
import { decodeKeyFile, DEFAULT_SCRYPT, encodeKeyFile } from '@cairn/pack';
import type { CipherName, KeyFileInfo, MasterKey, ScryptParams } from '@cairn/pack';
import { matchIdPrefix } from './prefix.js';

/** The key an encrypted repository was opened with. */
export interface RepositoryKey {
  readonly cipher: CipherName;
  /** The key file whose password opened the repository. */
  readonly keyName: string;
  readonly master: MasterKey;
}

/** Gives the password when an encrypted repository needs one (never asked for a plain one). */
export type PasswordSource = () => Promise<string>;

/** A key file of the repository, as `cairn key list` shows it. */
export interface KeyEntry extends KeyFileInfo {
  readonly name: string;
  /** Whether this key opened the repository. */
  readonly current: boolean;
}

function currentUser(): string {
  try {
    return userInfo().username;
  } catch {
    return '';
  }
}

/** Writes a key file wrapping `master` under `password` (named by the SHA-256 of its bytes) and returns its name. */
export async function writeKeyFile(backend: Backend, master: MasterKey, cipher: CipherName, password: string, kdf: ScryptParams = DEFAULT_SCRYPT): Promise<string> {
  if (password === '') throw new CairnError('ERR_USAGE', 'an empty password protects nothing', { hint: 'give a password that is not empty' });
  const bytes = await encodeKeyFile(master, password, { cipher, kdf, host: hostname(), user: currentUser() });
  const name = toHex(blobId(bytes));
  await backend.write('key', name, bytes);
  return name;
}

/**
 * Finds the key file `password` opens and unwraps the master key: ERR_PASSWORD naming the
 * repository when none does (a key file that cannot be read is named when no other matches).
 */
export async function unlockKey(backend: Backend, cipher: CipherName, password: string): Promise<RepositoryKey> {
  const problems: CairnError[] = [];
  let count = 0;
  for await (const file of backend.list('key')) {
    if (!/^[0-9a-f]{64}$/.test(file.name)) continue;
    count += 1;
    try {
      const key = decodeKeyFile(await backend.read('key', file.name), `${backend.location}/keys/${file.name}`);
      const master = await key.unwrap(password);
      if (master !== null) return { cipher, keyName: file.name, master };
    } catch (error) {
      if (!isCairnError(error) || error.code === 'ERR_TRANSIENT') throw error;
      problems.push(error);
    }
  }
  if (count === 0) {
    throw new CairnError('ERR_FORMAT', `the encrypted repository at ${backend.location} has no key files`, { hint: 'its keys/ folder was emptied: restore it from a copy' });
  }
  const unreadable = problems.length === 0 ? '' : ` (${problems.length} key file${problems.length === 1 ? '' : 's'} could not be read: ${problems.map((p) => p.message).join('; ')})`;
  throw new CairnError('ERR_PASSWORD', `no key matches the password for the repository at ${backend.location}${unreadable}`, {
    hint: 'check --password-file, CAIRN_PASSWORD or CAIRN_PASSWORD_COMMAND',
  });
}

/** What key management needs of an open repository. */
export interface KeyedRepository {
  readonly backend: Backend;
  readonly key: RepositoryKey | null;
}

function requireKey(repo: KeyedRepository): RepositoryKey {
  if (repo.key === null) {
    throw new CairnError('ERR_UNSUPPORTED', `the repository at ${repo.backend.location} is not encrypted: it has no keys`, {
      hint: 'create an encrypted repository with `cairn init --encryption aes-256-gcm` (a password is asked for) and copy into it',
    });
  }
  return repo.key;
}

/** Every key file of an encrypted repository (unreadable ones are left out), oldest first. */
export async function listKeys(repo: KeyedRepository): Promise<KeyEntry[]> {
  const key = requireKey(repo);
  const keys: KeyEntry[] = [];
  for await (const file of repo.backend.list('key')) {
    if (!/^[0-9a-f]{64}$/.test(file.name)) continue;
    try {
      const { info } = decodeKeyFile(await repo.backend.read('key', file.name), `keys/${file.name}`);
      keys.push({ name: file.name, current: file.name === key.keyName, ...info });
    } catch (error) {
      if (!isCairnError(error) || error.code === 'ERR_TRANSIENT') throw error;
    }
  }
  return keys.sort((a, b) => a.created.localeCompare(b.created) || a.name.localeCompare(b.name));
}

/** Adds a key file that opens the repository with `password`; returns its name. */
export async function addKey(repo: KeyedRepository, password: string, kdf?: ScryptParams): Promise<string> {
  const key = requireKey(repo);
  return writeKeyFile(repo.backend, key.master, key.cipher, password, kdf);
}

/** Removes the key file `prefix` names; refuses the last key (ERR_USAGE), since the repository could then never be opened. */
export async function removeKey(repo: KeyedRepository, prefix: string): Promise<string> {
  const keys = await listKeys(repo);
  const found = matchIdPrefix(keys, (k) => k.name, prefix, 'key', 'run `cairn key list` to see the keys');
  if (keys.length <= 1) {
    throw new CairnError('ERR_USAGE', `key ${found.name.slice(0, 8)} is the last key of the repository at ${repo.backend.location}: without it nothing could open it`, {
      hint: 'add another key with `cairn key add` first, or change the password with `cairn key passwd`',
    });
  }
  await repo.backend.remove('key', found.name);
  return found.name;
}

/** Changes the password of the key in use: writes a key file for the new password, then removes the old one; returns the new key's name. */
export async function changePassword(repo: KeyedRepository, password: string, kdf?: ScryptParams): Promise<string> {
  const key = requireKey(repo);
  const name = await addKey(repo, password, kdf);
  if (name !== key.keyName) await repo.backend.remove('key', key.keyName);
  return name;
}
