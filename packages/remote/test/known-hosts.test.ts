import { createHmac, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { addKnownHost, fingerprint, knownHostName, readKnownHosts } from '../src/sftp/known-hosts.js';

const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))));

/** A public key blob of `type` (the wire format: length-prefixed type, then random bytes). */
function blob(type: string): Buffer {
  const name = Buffer.from(type);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(name.byteLength);
  return Buffer.concat([length, name, randomBytes(36)]);
}
const line = (hosts: string, key: Buffer, type = 'ssh-ed25519') => `${hosts} ${type} ${key.toString('base64')}`;

async function file(text: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'cairn-known-hosts-'));
  dirs.push(dir);
  await writeFile(join(dir, 'known_hosts'), text);
  return join(dir, 'known_hosts');
}

describe('known_hosts', () => {
  const key = blob('ssh-ed25519');
  const other = blob('ssh-ed25519');

  it('names a host as ssh does', () => {
    expect(knownHostName('example.org', 22)).toBe('example.org');
    expect(knownHostName('127.0.0.1', 2222)).toBe('[127.0.0.1]:2222');
    expect(fingerprint(key)).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
  });

  it('knows a key by plain, wildcard, hashed and [host]:port entries, and honours negation', async () => {
    const salt = randomBytes(20);
    const hash = createHmac('sha1', salt).update('[10.0.0.5]:2222').digest('base64');
    const hosts = await readKnownHosts([await file([
      '# comment',
      line('alpha,beta', key),
      line('*.example.org,!bad.example.org', key),
      line(`|1|${salt.toString('base64')}|${hash}`, key),
      'garbage line',
    ].join('\n')), '/nonexistent/known_hosts']);
    for (const host of ['alpha', 'beta', 'www.example.org', '[10.0.0.5]:2222']) expect(hosts.verdict(host, key), host).toEqual({ kind: 'known' });
    expect(hosts.verdict('bad.example.org', key)).toEqual({ kind: 'unknown' });
    expect(hosts.verdict('10.0.0.5', key)).toEqual({ kind: 'unknown' });
    expect(hosts.verdict('alpha', other)).toMatchObject({ kind: 'changed', line: 2 });
    expect(hosts.keyTypesFor('alpha')).toEqual(['ssh-ed25519']);
  });

  it('refuses a revoked key and ignores certificate authorities', async () => {
    const path = await file([`@revoked * ssh-ed25519 ${key.toString('base64')}`, `@cert-authority * ssh-ed25519 ${other.toString('base64')}`].join('\n'));
    const hosts = await readKnownHosts([path]);
    expect(hosts.verdict('alpha', key)).toEqual({ kind: 'revoked', file: path, line: 1 });
    expect(hosts.verdict('alpha', other)).toEqual({ kind: 'unknown' });
  });

  it('adds a host in ssh\'s format, making the folder', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cairn-known-hosts-'));
    dirs.push(dir);
    const path = join(dir, 'new', '.ssh', 'known_hosts');
    await addKnownHost(path, '[h]:2', key);
    expect(await readFile(path, 'utf8')).toBe(`[h]:2 ssh-ed25519 ${key.toString('base64')}\n`);
    expect((await readKnownHosts([path])).verdict('[h]:2', key)).toEqual({ kind: 'known' });
  });
});
