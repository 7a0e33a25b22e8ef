import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { CairnError } from '@cairn/core';

/** One line of a known_hosts file. */
interface KnownHostEntry {
  readonly marker: 'revoked' | 'cert-authority' | undefined;
  readonly patterns: readonly string[];
  readonly keyType: string;
  readonly key: Buffer;
  readonly file: string;
  readonly line: number;
}

/** What the known_hosts files say about a host's key. */
export type HostKeyVerdict =
  | { readonly kind: 'known' }
  | { readonly kind: 'unknown' }
  | { readonly kind: 'changed'; readonly file: string; readonly line: number }
  | { readonly kind: 'revoked'; readonly file: string; readonly line: number };

/** The known_hosts files read by a connection, and whether an unknown host's key is added to the first one. */
export interface KnownHosts {
  /** The key types the files hold for `hostPort`, so the connection asks the server for one of those first. */
  keyTypesFor(hostPort: string): string[];
  /** What the files say about `key` (an SSH public key blob) for `hostPort`. */
  verdict(hostPort: string, key: Buffer): HostKeyVerdict;
}

/** How ssh names a host in known_hosts: `host` on port 22, `[host]:port` on another port. */
export function knownHostName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/** The fingerprint ssh prints for a public key blob: `SHA256:` and unpadded base64. */
export function fingerprint(key: Buffer): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

/** The key type a public key blob starts with (`ssh-ed25519`, `ecdsa-sha2-nistp256`, `ssh-rsa`, …). */
export function keyTypeOf(key: Buffer): string {
  if (key.byteLength < 4) return 'unknown';
  const length = key.readUInt32BE(0);
  return key.subarray(4, 4 + length).toString('latin1');
}

/** Reads known_hosts files (a missing file holds nothing; an unreadable one is ERR_PERMISSION naming it). */
export async function readKnownHosts(files: readonly string[]): Promise<KnownHosts> {
  const entries: KnownHostEntry[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') continue;
      throw new CairnError('ERR_PERMISSION', `cannot read the known hosts file ${file}: ${(error as Error).message}`, { cause: error });
    }
    text.split('\n').forEach((raw, index) => {
      const entry = parseLine(raw, file, index + 1);
      if (entry !== undefined) entries.push(entry);
    });
  }
  const forHost = (hostPort: string) => entries.filter((entry) => hostMatches(entry.patterns, hostPort));
  return {
    keyTypesFor: (hostPort) => [...new Set(forHost(hostPort).filter((e) => e.marker === undefined).map((e) => e.keyType))],
    verdict(hostPort, key) {
      const matching = forHost(hostPort);
      const revoked = entries.find((e) => e.marker === 'revoked' && e.key.equals(key));
      if (revoked !== undefined) return { kind: 'revoked', file: revoked.file, line: revoked.line };
      const plain = matching.filter((e) => e.marker === undefined);
      if (plain.some((e) => e.key.equals(key))) return { kind: 'known' };
      const other = plain[0];
      return other === undefined ? { kind: 'unknown' } : { kind: 'changed', file: other.file, line: other.line };
    },
  };
}

/** Adds `hostPort`'s key to `file` as ssh's StrictHostKeyChecking=accept-new does (the folder is made, mode 0700). */
export async function addKnownHost(file: string, hostPort: string, key: Buffer): Promise<void> {
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  await appendFile(file, `${hostPort} ${keyTypeOf(key)} ${key.toString('base64')}\n`, { mode: 0o600 });
}

function parseLine(raw: string, file: string, line: number): KnownHostEntry | undefined {
  const fields = raw.trim().split(/\s+/);
  if (fields[0] === undefined || fields[0] === '' || fields[0].startsWith('#')) return undefined;
  let marker: KnownHostEntry['marker'];
  if (fields[0].startsWith('@')) {
    const name = fields.shift();
    if (name === '@revoked') marker = 'revoked';
    else if (name === '@cert-authority') marker = 'cert-authority';
    else return undefined;
  }
  const [hosts, keyType, base64] = fields;
  if (hosts === undefined || keyType === undefined || base64 === undefined || !/^[A-Za-z0-9+/]+=*$/.test(base64)) return undefined;
  return { marker, patterns: hosts.split(','), keyType, key: Buffer.from(base64, 'base64'), file, line };
}

/** ssh's rule: some pattern matches (hashed `|1|salt|hash`, or with `*`/`?` wildcards) and no negated (`!`) one does. */
function hostMatches(patterns: readonly string[], hostPort: string): boolean {
  let matched = false;
  for (const pattern of patterns) {
    const negated = pattern.startsWith('!');
    const body = negated ? pattern.slice(1) : pattern;
    if (!patternMatches(body, hostPort)) continue;
    if (negated) return false;
    matched = true;
  }
  return matched;
}

function patternMatches(pattern: string, hostPort: string): boolean {
  if (pattern.startsWith('|1|')) {
    const [salt, hash] = pattern.slice(3).split('|');
    if (salt === undefined || hash === undefined) return false;
    const expected = Buffer.from(hash, 'base64');
    const actual = createHmac('sha1', Buffer.from(salt, 'base64')).update(hostPort).digest();
    return expected.byteLength === actual.byteLength && timingSafeEqual(expected, actual);
  }
  const regex = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'i');
  return regex.test(hostPort);
}
