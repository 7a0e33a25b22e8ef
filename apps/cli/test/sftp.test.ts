import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sshdUnavailable, startSshd } from '../../../packages/remote/test/sshd.js';
import type { Sshd } from '../../../packages/remote/test/sshd.js';
import { watchChild } from '../../../packages/repository/test/lifecycle-helpers.js';
import { spawn } from 'node:child_process';
import { cairn, CLI, expectAllOrNothing, tempDir } from './run-cli.js';

const unavailable = sshdUnavailable();
/** Remote repositories are always encrypted: every run gives the password. */
const PW = { CAIRN_PASSWORD: 'sftp test password' };
let sshd: Sshd;

beforeAll(async () => {
  if (unavailable === undefined) sshd = await startSshd();
});
afterAll(async () => {
  await sshd?.stop();
});

/** A HOME whose ~/.ssh holds the test server's client key as id_ed25519 and its host key in known_hosts, as a user's would. */
async function sshHome(): Promise<string> {
  const home = await tempDir();
  await mkdir(join(home, '.ssh'), { mode: 0o700 });
  await copyFile(sshd.clientKey, join(home, '.ssh', 'id_ed25519'));
  await copyFile(sshd.knownHosts, join(home, '.ssh', 'known_hosts'));
  return home;
}

/** Every file below `dir`, relative, with its bytes. */
async function contents(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) out.set(join(entry.parentPath, entry.name).slice(dir.length), (await readFile(join(entry.parentPath, entry.name))).toString('hex'));
  }
  return out;
}

describe.skipIf(unavailable !== undefined)(`cairn with an sftp: repository on a real OpenSSH server${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  it('runs init, backup, snapshots, restore and check with --repo sftp:… using ~/.ssh\'s key and known_hosts', async () => {
    const home = await sshHome();
    const source = join(home, 'src');
    await mkdir(join(source, 'sub'), { recursive: true });
    await writeFile(join(source, 'a.txt'), 'hello over sftp\n');
    await writeFile(join(source, 'sub', 'b.bin'), randomBytes(300_000));
    const repo = sshd.url(join(sshd.dir, 'cli-round-trip'));
    const run = (...args: string[]) => cairn([...args, '--repo', repo], { home, env: { ...PW, SSH_AUTH_SOCK: '' } });

    const init = await run('init');
    expect(init.stderr).toBe('');
    expect(init.code).toBe(0);
    expect(init.stdout).toContain(`at ${repo}`);
    const backup = await run('backup', source);
    expect(backup.code, backup.stderr).toBe(0);
    expect(backup.stdout).toMatch(/snapshot [0-9a-f]{8} saved/);
    const snapshots = await run('snapshots');
    expect(snapshots.stdout).toContain('1 snapshots');
    const target = join(home, 'out');
    const restore = await run('restore', 'latest', '--target', target);
    expect(restore.code, restore.stderr).toBe(0);
    expect(await contents(join(target, 'src'))).toEqual(await contents(source));
    const check = await run('check', '--read-data');
    expect(check.code, check.stderr).toBe(0);
    expect(check.stdout).toContain('no errors found');
  });

  it('refuses a server whose host key is unknown: one clear error naming the host and its fingerprint, exit 1', async () => {
    const home = await sshHome();
    await writeFile(join(home, '.ssh', 'known_hosts'), '');
    const run = await cairn(['snapshots', '--repo', sshd.url(join(sshd.dir, 'cli-round-trip'))], { home, env: { ...PW, SSH_AUTH_SOCK: '' } });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(new RegExp(`the host \\[127\\.0\\.0\\.1\\]:${sshd.port} is unknown: its ssh-ed25519 key SHA256:[A-Za-z0-9+/]{43} is not in ${join(home, '.ssh', 'known_hosts')}`));
    expect(run.stderr).toContain('hint: ');
  });

  it('gives a clear error and no snapshot when sshd dies mid-backup (or, killed after the snapshot landed, a backup that stands), and the next backup completes', async () => {
    const home = await sshHome();
    const source = join(home, 'big');
    await mkdir(source);
    for (let i = 0; i < 24; i++) await writeFile(join(source, `f${i}`), randomBytes(1024 * 1024));
    const path = join(sshd.dir, 'cli-killed');
    const repo = sshd.url(path);
    const env = { ...PW, SSH_AUTH_SOCK: '', CAIRN_RETRY_ATTEMPTS: '3', CAIRN_RETRY_DELAY_MS: '20' };
    expect((await cairn(['init', '--repo', repo, '--compression', 'off'], { home, env })).code).toBe(0);

    const started = Date.now();
    const backup = watchChild(spawn(process.execPath, [CLI, 'backup', source, '--repo', repo], {
      stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env['PATH'] ?? '', HOME: home, ...env },
    }));
    // Kill the server once the first pack is being uploaded (its temporary file is there): the backup is under way.
    const uploads = async () => (await readdir(join(path, 'data'), { recursive: true })).filter((f) => /\/(\.tmp-.*|[0-9a-f]{64})$/.test(f));
    while ((await uploads()).length === 0 && Date.now() - started < 30_000) await sleep(5);
    await sshd.kill();
    const end = await backup.done;
    expect(end.stderr).not.toContain('    at ');
    // On a loaded machine the kill can come after the snapshot landed: then the backup stands.
    const stored = await expectAllOrNothing(end, path, /cairn: sftp:\/\/.* failed after 3 tries in \d+\.\d s: .*(connection refused|No response from server|Not connected)/);
    if (stored === 0) expect(end.stderr).toMatch(/^warning: sftp:\/\/.* failed \(.*\); trying again in \d+\.\d s \(try 2 of 3\)$/m);

    await sshd.restart();
    const again = await cairn(['backup', source, '--repo', repo], { home, env });
    expect(again.code, again.stderr).toBe(0);
    expect(await readdir(join(path, 'snapshots'))).toHaveLength(stored + 1);
    const check = await cairn(['check', '--repo', repo], { home, env });
    expect(check.code, check.stdout + check.stderr).toBe(0);
  });
});
