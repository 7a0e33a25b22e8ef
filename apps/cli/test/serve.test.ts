import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdir, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import bcrypt from 'bcryptjs';
import { describe, expect, it } from 'vitest';
import { seededBytes } from '../../../packages/repository/test/helpers.js';
import { cairn, expectAllOrNothing, jsonLines, jsonSummary, startCli, startListening, tempDir } from './run-cli.js';
import type { Run } from './run-cli.js';

/** Remote repositories are always encrypted: every run gives the password. */
const PW = { CAIRN_PASSWORD: 'remote test password' };

/** Starts `cairn --repo <folder> serve --listen 127.0.0.1:0 --json …` and waits for the URL it prints. */
async function serve(folder: string, flags: readonly string[] = []) {
  const { url, run } = await startListening(['--repo', folder, 'serve', '--listen', '127.0.0.1:0', '--json', ...flags], {}, (out) => {
    const line = out.split('\n').find((l) => l.includes('"listening"'));
    return line === undefined ? undefined : (JSON.parse(line) as { url: string }).url;
  }, { killAfterTest: true });
  return { url, run, stop: async () => { run.child.kill('SIGTERM'); return run.done; } };
}

/** One raw HTTP request to the server. */
function http(method: string, url: string, body?: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers: { ...headers, ...(body !== undefined ? { 'content-length': String(Buffer.byteLength(body)) } : {}) } }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const sha = (text: string): string => createHash('sha256').update(text).digest('hex');
const ok = (run: Run): Run => {
  expect(run.stderr, run.stderr).not.toMatch(/^cairn:/m);
  expect(run.code, run.stderr).toBe(0);
  return run;
};

async function sources(home: string, seed: number, size = 200_000): Promise<string> {
  const dir = join(home, `src-${seed}`);
  execFileSync('mkdir', ['-p', dir]);
  for (let i = 0; i < 5; i++) await writeFile(join(dir, `f${i}.bin`), seededBytes(size, seed * 10 + i));
  return dir;
}

describe('cairn serve', () => {
  it('append-only: adds backups from two clients at once, refuses DELETE and overwrite, and forget says where to run', async () => {
    const home = await tempDir();
    const folder = join(home, 'repo');
    ok(await cairn(['--repo', folder, 'init'], { home, env: PW }));
    const server = await serve(folder, ['--append-only']);
    const repo = `rest:${server.url}`;
    const [a, b] = await Promise.all([
      cairn(['--repo', repo, 'backup', await sources(home, 1)], { home, env: PW }),
      cairn(['--repo', repo, 'backup', await sources(home, 2)], { home, env: PW }),
    ]);
    ok(a);
    ok(b);
    expect(ok(await cairn(['--repo', folder, 'snapshots', '--json'], { home, env: PW })).stdout.match(/"type":"snapshot"/g)).toHaveLength(2);

    const snapshot = (await readdir(join(folder, 'snapshots')))[0]!;
    const del = await http('DELETE', `${server.url}snapshots/${snapshot}`);
    expect(del.status).toBe(403);
    expect(del.body).toContain(`append-only server: refusing to delete snapshot/${snapshot}`);
    const pack = (await readdir(join(folder, 'data'), { recursive: true })).find((p) => /\/[0-9a-f]{64}$/.test(p))!.split('/')[1]!;
    expect((await http('DELETE', `${server.url}data/${pack}`)).status).toBe(403);
    expect((await http('PUT', `${server.url}config`, 'x')).status).toBe(403);
    expect((await http('POST', `${server.url}snapshots/${snapshot}`, 'other bytes')).status).toBe(403);
    expect((await http('POST', `${server.url}config`, 'other config')).status).toBe(403);
    expect((await http('POST', `${server.url}index/${sha('new')}`, 'new')).status).toBe(200);
    expect((await http('POST', `${server.url}index/${sha('new')}`, 'new')).status).toBe(200);
    await rm(join(folder, 'index', sha('new'))); // not an index cairn can read: it only shows that new files are accepted
    expect((await http('POST', `${server.url}locks/mine`, 'l')).status).toBe(200);
    expect((await http('DELETE', `${server.url}locks/mine`)).status).toBe(200);
    expect((await readdir(join(folder, 'snapshots')))).toHaveLength(2);

    for (const command of [['forget', snapshot], ['prune']]) {
      const refused = await cairn(['--repo', repo, ...command], { home, env: PW });
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain(`cairn: ${repo} is served append-only: \`cairn ${command[0]}\` deletes, and the server refuses every delete`);
      expect(refused.stderr).toContain(`hint: run \`cairn ${command[0]}\` against the repository directly`);
    }
    expect((await readdir(join(folder, 'snapshots')))).toHaveLength(2);
    ok(await cairn(['--repo', repo, 'prune', '--dry-run'], { home, env: PW }));
    // A removal that gets past the CLI (tag writes the new snapshot, then removes the old) is refused by the server, with the same hint.
    const tag = await cairn(['--repo', repo, 'tag', snapshot, '--add', 'kept'], { home, env: PW });
    expect(tag.code).toBe(1);
    expect(tag.stderr).toContain(`append-only server: refusing to delete snapshot/${snapshot}`);
    expect(tag.stderr).toMatch(/hint: forget, prune and other removals must run against the repository directly/);
    expect((await readdir(join(folder, 'snapshots')))).toContain(snapshot);
    ok(await cairn(['--repo', folder, 'check'], { home, env: PW }));
    ok(await cairn(['--repo', folder, 'prune'], { home, env: PW }));
    const end = await server.stop();
    expect(end.code).toBe(0);
    expect(jsonSummary(end.stdout)).toMatchObject({ url: server.url, stoppedBy: 'SIGTERM', bytesSent: expect.any(Number) });
    // Every answer the clients above read (the snapshots' trees and packs among them) came through the counter.
    expect((jsonSummary(end.stdout) as { bytesSent: number }).bytesSent).toBeGreaterThan(10_000);
    ok(await cairn(['--repo', folder, 'check'], { home, env: PW }));
  });

  it('--htpasswd: bcrypt and SHA entries let their users in, anyone else gets 401 and a clear error', async () => {
    const home = await tempDir();
    const folder = join(home, 'repo');
    const htpasswd = join(home, 'htpasswd');
    const shaEntry = createHash('sha1').update('sesame').digest('base64');
    await writeFile(htpasswd, `ana:${bcrypt.hashSync('s3cret', 4).replace(/^\$2b\$/, '$2y$')}\nbob:{SHA}${shaEntry}\n`);
    const server = await serve(folder, ['--htpasswd', htpasswd]);
    const withUser = (user: string, pass: string) => `rest:${server.url.replace('http://', `http://${user}:${pass}@`)}`;
    ok(await cairn(['--repo', withUser('ana', 's3cret'), 'init'], { home, env: PW }));
    ok(await cairn(['--repo', `rest:${server.url}`, 'backup', await sources(home, 3, 1000)], { home, env: { ...PW, CAIRN_REST_USER: 'bob', CAIRN_REST_PASSWORD: 'sesame' } }));
    const wrong = await cairn(['--repo', withUser('ana', 'guess'), 'snapshots'], { home, env: PW });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/^cairn: .*401 Unauthorized: wrong or missing user and password/m);
    expect(wrong.stderr).toContain('hint: give the user and password in the URL');
    expect((await http('GET', `${server.url}config`)).status).toBe(401);
    const basic = (user: string, pass: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}` });
    expect((await http('GET', `${server.url}config`, undefined, basic('bob', 'sesame'))).status).toBe(200);
    expect((await http('GET', `${server.url}config`, undefined, basic('bob', 's3cret'))).status).toBe(401);
    expect((await http('GET', `${server.url}config`, undefined, basic('eve', 'sesame'))).status).toBe(401);
    await server.stop();
  });

  it('a server killed mid-upload leaves the repository consistent, and the next backup completes', async () => {
    const home = await tempDir();
    const folder = join(home, 'repo');
    ok(await cairn(['--repo', folder, 'init'], { home, env: PW }));
    const src = await sources(home, 4, 6_000_000);
    const first = await serve(folder);
    // Two quick tries: the server stays down, so the backup ends with the retries' ERR_TRANSIENT.
    const backup = startCli(['--repo', `rest:${first.url}`, 'backup', src], { ...PW, CAIRN_RETRY_ATTEMPTS: '2', CAIRN_RETRY_DELAY_MS: '100' });
    // Kill the server as soon as the first pack has landed, with more on the way.
    for (let i = 0; i < 400; i++) {
      const packs = (await readdir(join(folder, 'data'), { recursive: true })).filter((p) => /\/[0-9a-f]{64}$/.test(p));
      if (packs.length > 0) break;
      await sleep(10);
    }
    first.run.child.kill('SIGKILL');
    // On a loaded machine the kill can come after the snapshot landed: then the backup stands.
    const stored = await expectAllOrNothing(await backup.done, folder, /^cairn: .*(ECONNREFUSED|socket hang up|ECONNRESET|closed before)/m);
    ok(await cairn(['--repo', folder, 'check'], { home, env: PW }));
    const second = await serve(folder);
    ok(await cairn(['--repo', `rest:${second.url}`, 'backup', src], { home, env: PW }));
    await second.stop();
    expect(await readdir(join(folder, 'snapshots'))).toHaveLength(stored + 1);
    expect((await readdir(folder, { recursive: true })).filter((p) => p.includes('.tmp-'))).toEqual([]);
    ok(await cairn(['--repo', folder, 'check', '--read-data'], { home, env: PW }));
  });

  it('serves https with --tls-cert/--tls-key to clients that trust the certificate (CAIRN_REST_CA)', async () => {
    const home = await tempDir();
    const cert = join(home, 'cert.pem');
    const key = join(home, 'key.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert,
      '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
    const server = await serve(join(home, 'repo'), ['--tls-cert', cert, '--tls-key', key]);
    expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/$/);
    const untrusted = await cairn(['--repo', `rest:${server.url}`, 'init'], { home, env: PW });
    expect(untrusted.code).toBe(1);
    expect(untrusted.stderr).toContain('CAIRN_REST_CA');
    ok(await cairn(['--repo', `rest:${server.url}`, 'init'], { home, env: { ...PW, CAIRN_REST_CA: cert } }));
    const end = await server.stop();
    expect(jsonLines(end.stdout)[0]).toMatchObject({ type: 'listening', tls: true, appendOnly: false });
  });

  it('refuses a bad --listen, a remote --repo and a half TLS pair, naming them', async () => {
    const home = await tempDir();
    const bad = await cairn(['--repo', join(home, 'r'), 'serve', '--listen', 'nowhere'], { home, env: PW });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('--listen wants HOST:PORT');
    const remote = await cairn(['--repo', 'rest:http://127.0.0.1:1/', 'serve'], { home, env: PW });
    expect(remote.stderr).toContain('cairn serve serves a repository in a local folder');
    const half = await cairn(['--repo', join(home, 'r'), 'serve', '--tls-cert', 'c.pem'], { home, env: PW });
    expect(half.stderr).toContain('--tls-cert and --tls-key go together');
  });
});
