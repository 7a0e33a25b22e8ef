import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSftpBackend, withRetries } from '@cairn/remote';
import type { SftpBackend, SftpBackendOptions } from '@cairn/remote';
import { backendContract, hexName, rejection } from '../../transport/test/backend-contract.js';
import { sshdUnavailable, startSshd } from './sshd.js';
import type { Sshd } from './sshd.js';

const unavailable = sshdUnavailable();
let sshd: Sshd;
const opened: SftpBackend[] = [];
let repos = 0;

beforeAll(async () => {
  if (unavailable === undefined) sshd = await startSshd();
});
afterAll(async () => {
  await Promise.all(opened.map((backend) => backend.close()));
  await sshd?.stop();
});

/** A backend for a new repository folder on the test's server. */
function open(options: SftpBackendOptions = {}, path = join(sshd.dir, `repo-${++repos}`)): SftpBackend {
  const backend = createSftpBackend(sshd.url(path).slice('sftp:'.length), {
    agent: null, identityFiles: [sshd.clientKey], knownHostsFiles: [sshd.knownHosts], ...options,
  });
  opened.push(backend);
  return backend;
}

describe.skipIf(unavailable !== undefined)(`sftp backend against a real OpenSSH server${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  backendContract('sftp', async () => {
    const backend = open();
    await backend.create();
    return backend;
  });

  backendContract('sftp with retries', async () => {
    const backend = withRetries(open(), { baseDelayMs: 1 });
    await backend.create();
    return backend;
  });

  it('lays the repository out as a local one, leaves no temporary files, and reports the server\'s free space', async () => {
    const path = join(sshd.dir, 'layout');
    const backend = open({}, path);
    await backend.create();
    const data = randomBytes(100_000);
    await backend.write('data', hexName(data), data);
    await backend.write('config', 'config', new Uint8Array([1]));
    await backend.replaceConfig!(new Uint8Array([2, 3]));
    expect(await readFile(join(path, 'config'))).toEqual(Buffer.from([2, 3]));
    expect((await readFile(join(path, 'data', hexName(data).slice(0, 2), hexName(data)))).equals(data)).toBe(true);
    const all = await readdir(path, { recursive: true });
    expect(all.filter((name) => name.includes('.tmp-'))).toEqual([]);
    expect(all).toEqual(expect.arrayContaining(['index', 'snapshots', 'keys', 'locks', 'data/ff']));
    const space = await backend.space!();
    expect(space.total).toBeGreaterThan(0);
    expect(space.free).toBeGreaterThan(0);
    expect(space.free).toBeLessThanOrEqual(space.total);
  });

  it('takes a relative path as relative to the login folder, and sftp:user@host:/abs forms', async () => {
    const backend = createSftpBackend(`//${sshd.user}@127.0.0.1:${sshd.port}/${join(sshd.dir, 'abs')}`, {
      agent: null, identityFiles: [sshd.clientKey], knownHostsFiles: [sshd.knownHosts],
    });
    opened.push(backend);
    await backend.create();
    expect((await stat(join(sshd.dir, 'abs', 'locks'))).isDirectory()).toBe(true);
    expect(backend.location).toBe(`sftp://${sshd.user}@127.0.0.1:${sshd.port}/${join(sshd.dir, 'abs')}`);
  });

  it('removes temporary files that a dead writer left, and no others', async () => {
    const path = join(sshd.dir, 'stale');
    const backend = open({}, path);
    await backend.create();
    const host = execFileSync('hostname').toString().trim().replace(/[^A-Za-z0-9._]/g, '_');
    const dead = `.tmp-${host}-999999-0123456789abcdef`;
    const alive = `.tmp-${host}-${process.pid}-0123456789abcdef`;
    // A pack's temporary file is written in data/ itself (the sweep reads the six top folders, not 256 more).
    await writeFile(join(path, 'data', dead), 'x');
    await writeFile(join(path, 'locks', alive), 'x');
    expect(await backend.removeStaleTemporaries!()).toEqual([`data/${dead}`]);
    expect(await readdir(join(path, 'locks'))).toEqual([alive]);
    // A repository made elsewhere may lack a data/<2 hex>/ folder: the write makes it.
    await rm(join(path, 'data', 'cd'), { recursive: true });
    const name = `cd${'0'.repeat(62)}`;
    await backend.write('data', name, new Uint8Array([1, 2, 3]));
    expect([...(await backend.read('data', name))]).toEqual([1, 2, 3]);
    expect((await readdir(join(path, 'data'))).filter((f) => f.startsWith('.tmp-'))).toEqual([]);
  });

  it('says so when create() meets a file where the repository folder should be', async () => {
    const path = join(sshd.dir, 'a-file');
    await writeFile(path, 'x');
    const error = await rejection(open({}, path).create(), 'ERR_EXISTS');
    expect(error.message).toContain(path);
  });

  it('refuses an unknown host key, naming the host and the fingerprint', async () => {
    const empty = join(sshd.dir, '..', 'empty_known_hosts');
    await writeFile(empty, '');
    const backend = open({ knownHostsFiles: [empty] });
    const error = await rejection(backend.create(), 'ERR_PERMISSION');
    const fingerprint = execFileSync('ssh-keygen', ['-l', '-f', join(sshd.dir, '..', 'host_key.pub')]).toString().split(' ')[1]!;
    expect(error.message).toContain(`[127.0.0.1]:${sshd.port} is unknown`);
    expect(error.message).toContain(fingerprint);
    expect((error as { hint?: string }).hint).toContain('CAIRN_SFTP_ACCEPT_NEW_HOST_KEY');
    // Nothing was written, and the connection was not kept.
    expect(await readFile(empty, 'utf8')).toBe('');
  });

  it('refuses a changed host key as a possible interception', async () => {
    const other = join(sshd.dir, '..', 'other_known_hosts');
    const otherKey = join(sshd.dir, '..', 'other_key');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', otherKey]);
    const line = (await readFile(`${otherKey}.pub`, 'utf8')).split(' ').slice(0, 2).join(' ');
    await writeFile(other, `# another key for the same host\n[127.0.0.1]:${sshd.port} ${line}\n`);
    const error = await rejection(open({ knownHostsFiles: [other] }).create(), 'ERR_INTEGRITY');
    expect(error.message).toContain('has CHANGED');
    expect(error.message).toContain(`${other} line 2`);
  });

  it('accepts hashed known_hosts entries, and adds a new host with accept-new', async () => {
    const hashed = join(sshd.dir, '..', 'hashed_known_hosts');
    await writeFile(hashed, await readFile(sshd.knownHosts));
    execFileSync('ssh-keygen', ['-q', '-H', '-f', hashed], { stdio: 'ignore' });
    expect(await readFile(hashed, 'utf8')).toMatch(/^\|1\|/);
    await open({ knownHostsFiles: [hashed] }).create();

    const fresh = join(sshd.dir, '..', 'ssh-home', 'known_hosts');
    await open({ knownHostsFiles: [fresh], acceptNewHostKey: true }).create();
    expect(await readFile(fresh, 'utf8')).toBe(`[127.0.0.1]:${sshd.port} ${sshd.hostKeyLine}\n`);
    await open({ knownHostsFiles: [fresh] }).create();
  });

  it('logs in with a key held by a real ssh agent (SSH_AUTH_SOCK) when no key file is there', async () => {
    const socket = join(sshd.dir, '..', 'agent.sock');
    const agent = spawn('ssh-agent', ['-D', '-a', socket], { stdio: 'ignore' });
    try {
      for (let i = 0; i < 100 && !(await stat(socket).then(() => true, () => false)); i++) await sleep(20);
      // The socket's file exists from its bind, before the agent listens: a loaded machine (CI) saw
      // ssh-add refused in between, so it is asked again for up to 2 s.
      for (let attempt = 1; ; attempt++) {
        try {
          execFileSync('ssh-add', ['-q', sshd.clientKey], { env: { ...process.env, SSH_AUTH_SOCK: socket }, stdio: 'ignore' });
          break;
        } catch (error) {
          if (attempt >= 100) throw error;
          await sleep(20);
        }
      }
      const before = process.env['SSH_AUTH_SOCK'];
      process.env['SSH_AUTH_SOCK'] = socket;
      const backend = open({ agent: undefined, identityFiles: [] });
      if (before === undefined) delete process.env['SSH_AUTH_SOCK'];
      else process.env['SSH_AUTH_SOCK'] = before;
      await backend.create();
      await backend.write('lock', 'by-agent', new Uint8Array([7]));
      expect(await backend.read('lock', 'by-agent')).toEqual(new Uint8Array([7]));
      await backend.close();
    } finally {
      agent.kill();
    }
  });

  it('names the keys it tried when the server refuses them', async () => {
    const stranger = join(sshd.dir, '..', 'stranger_key');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', stranger]);
    const error = await rejection(open({ identityFiles: [stranger] }).create(), 'ERR_PERMISSION');
    expect(error.message).toContain(`did not let ${sshd.user} log in`);
    expect(error.message).toContain(stranger);
  });

  it('fails fast with ERR_TRANSIENT when nothing listens, and withRetries says how often it tried', async () => {
    const backend = createSftpBackend(`//${sshd.user}@127.0.0.1:1/${sshd.dir}/none`, {
      agent: null, identityFiles: [sshd.clientKey], knownHostsFiles: [sshd.knownHosts],
    });
    await rejection(backend.stat('config', 'config'), 'ERR_TRANSIENT');
    const error = await rejection(withRetries(backend, { attempts: 3, baseDelayMs: 1 }).stat('config', 'config'), 'ERR_TRANSIENT');
    expect(error.message).toContain('stat the config failed after 3 tries');
    expect(error.message).toContain('connection refused');
  });

  it('drops a connection on which the server stopped answering, and goes on over a new one', async () => {
    const backend = withRetries(open({ idleTimeoutMs: 300 }), { attempts: 5, baseDelayMs: 10 });
    await backend.create();
    const data = randomBytes(1000);
    await backend.write('data', hexName(data), data);
    const resume = sshd.freezeSessions();
    try {
      const started = Date.now();
      expect(Buffer.from(await backend.read('data', hexName(data))).equals(data)).toBe(true);
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      resume();
    }
  });

  it('reconnects after the server dropped the connection, within the retries', async () => {
    const backend = withRetries(open(), { attempts: 40, baseDelayMs: 25, maxDelayMs: 100 });
    await backend.create();
    const data = randomBytes(1000);
    await backend.write('data', hexName(data), data);
    await sshd.kill();
    const restarted = new Promise((resolve) => setTimeout(resolve, 200)).then(() => sshd.restart());
    expect(Buffer.from(await backend.read('data', hexName(data))).equals(data)).toBe(true);
    await restarted;
  });
});
