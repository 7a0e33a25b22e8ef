import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cairn, CLI, jsonItems, tempDir } from './run-cli.js';

const PASSWORD = { CAIRN_PASSWORD: 'correct horse battery staple' };

/** Every file under `dir`, recursively. */
async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await filesUnder(path)));
    else out.push(path);
  }
  return out;
}

/** A project with a known text file (its bytes and unkeyed id are searched for in the stored bytes) and an incompressible one. */
async function encryptedRepo(): Promise<{ home: string; repo: string; src: string; secret: Buffer }> {
  const home = await tempDir();
  const src = join(home, 'src');
  await mkdir(join(src, 'sub'), { recursive: true });
  const secret = Buffer.from('API_KEY=very-secret-value-that-must-not-be-stored-in-the-clear\n'.repeat(2000));
  await writeFile(join(src, '.env'), secret);
  await writeFile(join(src, 'sub', 'random.bin'), randomBytes(700_000));
  const repo = join(home, 'repo');
  // No compression: a plaintext blob would then be stored as it is, were it not encrypted.
  const init = await cairn(['init', '--repo', repo, '--compression', 'off'], { home, env: PASSWORD });
  expect(init.stderr).toBe('');
  expect(init.code).toBe(0);
  expect(init.stdout).toContain('encrypted with aes-256-gcm');
  const backup = await cairn(['backup', '--repo', repo, src], { home, env: PASSWORD });
  expect(backup.stderr).toBe('');
  expect(backup.code).toBe(0);
  return { home, repo, src, secret };
}

async function packFiles(repo: string): Promise<{ path: string; size: number }[]> {
  const files = await filesUnder(join(repo, 'data'));
  const sized = await Promise.all(files.map(async (path) => ({ path, size: (await readFile(path)).length })));
  return sized.sort((a, b) => b.size - a.size);
}

/** Runs cairn on a terminal (util-linux `script`), typing `answers` one per prompt that starts with "enter"; returns what the terminal showed. */
function onTerminal(args: readonly string[], answers: readonly string[], env: Record<string, string>): Promise<{ code: number | null; screen: string }> {
  const command = [process.execPath, CLI, ...args].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(' ');
  const child = spawn('script', ['-qec', command, '/dev/null'], { env: { PATH: process.env['PATH'] ?? '', ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let screen = '';
  let answered = 0;
  child.stdout.on('data', (d: Buffer) => {
    screen += d.toString();
    const prompts = screen.split('enter ').length - 1;
    while (answered < prompts && answered < answers.length) child.stdin.write(`${answers[answered++]!}\r`);
  });
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, screen })));
}

describe('encrypted repositories', () => {
  it('round-trip: backup, restore byte for byte, check --read-data; the stored bytes hold neither the plaintext nor its SHA-256', async () => {
    const { home, repo, src, secret } = await encryptedRepo();
    const target = join(home, 'out');
    const restore = await cairn(['restore', '--repo', repo, 'latest', '--target', target], { home, env: PASSWORD });
    expect(restore.code).toBe(0);
    expect(await readFile(join(target, 'src', '.env'))).toEqual(secret);
    expect(await readFile(join(target, 'src', 'sub', 'random.bin'))).toEqual(await readFile(join(src, 'sub', 'random.bin')));
    const check = await cairn(['check', '--repo', repo, '--read-data'], { home, env: PASSWORD });
    expect(check.stdout).toContain('no errors found');
    expect(check.code).toBe(0);

    const needle = secret.subarray(0, 64);
    const sha = createHash('sha256').update(secret).digest();
    const randomSha = createHash('sha256').update(await readFile(join(src, 'sub', 'random.bin'))).digest();
    const stored = await filesUnder(repo);
    expect(stored.some((f) => f.includes(`${join(repo, 'keys')}/`))).toBe(true);
    for (const file of stored) {
      const bytes = await readFile(file);
      expect(bytes.includes(needle), file).toBe(false);
      expect(bytes.includes(Buffer.from('API_KEY')), file).toBe(false);
      for (const id of [sha, randomSha]) {
        expect(bytes.includes(id), file).toBe(false);
        expect(bytes.includes(Buffer.from(id.toString('hex'))), file).toBe(false);
        expect(file.includes(id.toString('hex')), file).toBe(false);
      }
    }
    // Names of snapshots, index files and packs are keyed too: none is the SHA-256 of its file's bytes.
    for (const file of stored.filter((f) => !f.includes(`${join(repo, 'keys')}/`) && !f.endsWith('config'))) {
      expect(createHash('sha256').update(await readFile(file)).digest('hex')).not.toBe(file.split('/').pop());
    }
  });

  it('refuses a missing or wrong password, and a truncated key file, in one clear line (exit 1)', async () => {
    const { home, repo } = await encryptedRepo();
    const none = await cairn(['snapshots', '--repo', repo], { home });
    expect(none.code).toBe(1);
    expect(none.stderr.split('\n')[0]).toBe(`cairn: the repository at ${repo} is encrypted: no password was given`);
    const wrong = await cairn(['snapshots', '--repo', repo], { home, env: { CAIRN_PASSWORD: 'wrong' } });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr.split('\n')[0]).toBe(`cairn: no key matches the password for the repository at ${repo}`);
    // The password from a file or a command opens it.
    await writeFile(join(home, 'pw'), `${PASSWORD.CAIRN_PASSWORD}\n`);
    expect((await cairn(['snapshots', '--repo', repo, '--password-file', join(home, 'pw')], { home })).code).toBe(0);
    expect((await cairn(['snapshots', '--repo', repo], { home, env: { CAIRN_PASSWORD_COMMAND: `cat ${join(home, 'pw')}` } })).code).toBe(0);

    const [key] = await filesUnder(join(repo, 'keys'));
    await truncate(key!, 100);
    const truncated = await cairn(['snapshots', '--repo', repo], { home, env: PASSWORD });
    expect(truncated.code).toBe(1);
    expect(truncated.stderr).toContain(`keys/${key!.split('/').pop()!} is not a readable key file`);
  });

  it('names the pack whose byte was changed (authentication failure) and packs swapped under each other\'s names', async () => {
    const { home, repo } = await encryptedRepo();
    const [big, small] = await packFiles(repo);
    const bytes = await readFile(big!.path);
    bytes[Math.floor(bytes.length / 2)]! ^= 0x20;
    await writeFile(big!.path, bytes);
    const check = await cairn(['check', '--repo', repo, '--read-data'], { home, env: PASSWORD });
    expect(check.code).toBe(1);
    expect(check.stdout + check.stderr).toContain(`data/${big!.path.split('/').pop()!.slice(0, 2)}/${big!.path.split('/').pop()!} failed authentication`);
    const restore = await cairn(['restore', '--repo', repo, 'latest', '--target', join(home, 'out')], { home, env: PASSWORD });
    expect(restore.code).not.toBe(0);
    expect(restore.stdout + restore.stderr).toContain('failed authentication');

    const { home: home2, repo: repo2 } = await encryptedRepo();
    const [a, b] = await packFiles(repo2);
    await rename(a!.path, `${a!.path}.x`);
    await rename(b!.path, a!.path);
    await rename(`${a!.path}.x`, b!.path);
    const swapped = await cairn(['check', '--repo', repo2, '--read-data'], { home: home2, env: PASSWORD });
    expect(swapped.code).toBe(1);
    for (const p of [a!, b!]) expect(swapped.stdout + swapped.stderr).toContain(p.path.split('/').pop()!);
    expect(small).toBeDefined();
  });

  it('adds, lists, removes keys and changes a password, never removing the last key', async () => {
    const { home, repo } = await encryptedRepo();
    const add = await cairn(['key', 'add', '--repo', repo], { home, env: { ...PASSWORD, CAIRN_NEW_PASSWORD: 'second' } });
    expect(add.code).toBe(0);
    const list = await cairn(['key', 'list', '--repo', repo, '--json'], { home, env: { CAIRN_PASSWORD: 'second' } });
    const keys = jsonItems(list.stdout, 'key') as { id: string; current: boolean }[];
    expect(keys).toHaveLength(2);
    const first = keys.find((k) => !k.current)!;
    expect((await cairn(['key', 'remove', '--repo', repo, first.id.slice(0, 10)], { home, env: { CAIRN_PASSWORD: 'second' } })).code).toBe(0);
    expect((await cairn(['snapshots', '--repo', repo], { home, env: PASSWORD })).code).toBe(1);

    const last = await cairn(['key', 'remove', '--repo', repo, keys.find((k) => k.current)!.id], { home, env: { CAIRN_PASSWORD: 'second' } });
    expect(last.code).toBe(1);
    expect(last.stderr).toContain('is the last key of the repository');
    expect(await filesUnder(join(repo, 'keys'))).toHaveLength(1);

    const passwd = await cairn(['key', 'passwd', '--repo', repo], { home, env: { CAIRN_PASSWORD: 'second', CAIRN_NEW_PASSWORD: 'third' } });
    expect(passwd.code).toBe(0);
    expect((await cairn(['snapshots', '--repo', repo], { home, env: { CAIRN_PASSWORD: 'second' } })).code).toBe(1);
    const after = await cairn(['restore', '--repo', repo, 'latest', '--target', join(home, 'out')], { home, env: { CAIRN_PASSWORD: 'third' } });
    expect(after.code).toBe(0);
    expect(await filesUnder(join(repo, 'keys'))).toHaveLength(1);
  });

  it('keeps the zero-setup default repository unencrypted and says how to encrypt one; init --encryption chacha20-poly1305 works', async () => {
    const home = await tempDir();
    await mkdir(join(home, 'p'));
    await writeFile(join(home, 'p', 'f'), 'x');
    const first = await cairn(['backup', join(home, 'p')], { home });
    expect(first.code).toBe(0);
    expect(first.stderr).toContain('it is not encrypted: `cairn init --repo <path> --encryption aes-256-gcm` creates an encrypted one');
    const keys = await cairn(['key', 'list'], { home });
    expect(keys.code).toBe(1);
    expect(keys.stderr).toContain('is not encrypted');

    const repo = join(home, 'chacha');
    const init = await cairn(['init', '--repo', repo, '--encryption', 'chacha20-poly1305'], { home, env: PASSWORD });
    expect(init.code).toBe(0);
    expect(JSON.parse(await readFile(join(repo, 'config'), 'utf8'))).toMatchObject({ encryption: 'chacha20-poly1305' });
    expect((await cairn(['backup', '--repo', repo, join(home, 'p')], { home, env: PASSWORD })).code).toBe(0);
    expect((await cairn(['check', '--repo', repo, '--read-data'], { home, env: PASSWORD })).code).toBe(0);
    const noPassword = await cairn(['init', '--repo', join(home, 'x'), '--encryption', 'aes-256-gcm'], { home });
    expect(noPassword.code).toBe(1);
    expect(noPassword.stderr).toContain('needs a password');
    // Off the machine a repository is always encrypted.
    const remote = await cairn(['init', '--repo', 'sftp:backup@127.0.0.1:/srv/cairn', '--encryption', 'none'], { home });
    expect(remote.code).toBe(1);
    expect(remote.stderr).toContain('is always encrypted');
    const remoteNoPassword = await cairn(['init', '--repo', 'sftp:backup@127.0.0.1:/srv/cairn'], { home });
    expect(remoteNoPassword.code).toBe(1);
    expect(remoteNoPassword.stderr).toContain('needs a password');
  });

  it.skipIf(!existsSync('/usr/bin/script'))('asks for the password on a terminal without echoing it (twice at init)', async () => {
    const home = await tempDir();
    const repo = join(home, 'repo');
    const env = { HOME: home, XDG_DATA_HOME: join(home, 'data') };
    const init = await onTerminal(['init', '--repo', repo, '--encryption', 'aes-256-gcm'], ['typed-secret', 'typed-secret'], env);
    expect(init.code).toBe(0);
    expect(init.screen).toContain('enter it again');
    expect(init.screen).not.toContain('typed-secret');
    const open = await onTerminal(['snapshots', '--repo', repo], ['typed-secret'], env);
    expect(open.code).toBe(0);
    expect(open.screen).toContain('0 snapshots');
    expect(open.screen).not.toContain('typed-secret');
    const differ = await onTerminal(['init', '--repo', join(home, 'other'), '--encryption', 'aes-256-gcm'], ['one', 'two'], env);
    expect(differ.code).toBe(1);
    expect(differ.screen).toContain('the two passwords typed differ');
  });

  it('restores onto a simulated board leaving files that already hold their content (their SHA-256 is compared with the plaintext, not the keyed id)', async () => {
    const home = await tempDir();
    const seed = join(home, 'board');
    await mkdir(join(seed, 'lib'), { recursive: true });
    await writeFile(join(seed, 'main.py'), 'import lib\nprint("hi")\n');
    await writeFile(join(seed, 'lib', 'a.py'), 'A = 1\n'.repeat(50));
    const repo = join(home, 'repo');
    expect((await cairn(['init', '--repo', repo], { home, env: PASSWORD })).code).toBe(0);
    expect((await cairn(['device', 'backup', '--repo', repo, '--port', 'sim', '--sim-root', seed], { home, env: PASSWORD })).code).toBe(0);
    await writeFile(join(seed, 'main.py'), 'import lib\nprint("HI")\n');
    const restore = await cairn(['device', 'restore', 'latest', '--repo', repo, '--port', 'sim', '--sim-root', seed], { home, env: PASSWORD });
    expect(restore.code, restore.stderr).toBe(0);
    expect(restore.stdout).toMatch(/^restored 1 files, \d+ folders \(\d+ B\) from [0-9a-f]{8} to sim:\/, 1 unchanged files left as they are/);
    expect(await readFile(join(seed, 'main.py'), 'utf8')).toBe('import lib\nprint("hi")\n');
  });
});
