import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { dirname, join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { API_ROUTES } from '../src/ui/server.js';
import { CLI, cairn, jsonSummary, startCli, startListening, tempDir, uiAddress } from './run-cli.js';

/** What one request got back. */
interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Buffer;
  json(): any;
}

/** One raw HTTP request (node:http, so the Host header and every other header are the test's to choose). */
function call(base: string, method: string, path: string, options: { token?: string | null; body?: unknown; headers?: Record<string, string> } = {}): Promise<Answer> {
  const url = new URL(path, base);
  const body = options.body === undefined ? undefined : typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
  const headers: Record<string, string> = {
    ...(options.token === null || options.token === undefined ? {} : { authorization: `Bearer ${options.token}` }),
    ...(body === undefined ? {} : { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) }),
    ...options.headers,
  };
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => {
        const all = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: all, json: () => JSON.parse(all.toString('utf8')) });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Server-sent events of a job until its `end` event: [event, data] pairs. */
function events(base: string, token: string, job: string): Promise<[string, any][]> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(`/api/jobs/${job}/events`, base), { headers: { authorization: `Bearer ${token}` } }, (res) => {
      expect(res.headers['content-type']).toMatch(/^text\/event-stream/);
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve(text.split('\n\n').filter((block) => block !== '').map((block) => {
        const event = /^event: (.*)$/m.exec(block)?.[1] ?? '';
        const data = /^data: (.*)$/m.exec(block)?.[1] ?? 'null';
        return [event, JSON.parse(data)];
      })));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Starts `cairn ui` with `args` and waits for the URL it prints; killed when the test ends. */
async function startUi(args: readonly string[], env: Record<string, string> = {}) {
  const { url, run } = await startListening(['ui', ...args], env, uiAddress, { killAfterTest: true });
  const parsed = new URL(url);
  return { url, base: parsed.origin, token: parsed.searchParams.get('token')!, port: Number(parsed.port), run };
}

/** A repository with three snapshots of proj/ made by the CLI (a day apart), and a plans file whose plan last failed. */
async function setup() {
  const home = await tempDir();
  const repo = join(home, 'repo');
  const proj = join(home, 'proj');
  const env = { HOME: home, XDG_CONFIG_HOME: join(home, 'config'), XDG_STATE_HOME: join(home, 'state'), CAIRN_PASSWORD: '' };
  const run = (...args: string[]) => cairn(['--repo', repo, ...args], { home, env });
  await mkdir(join(proj, 'sub'), { recursive: true });
  await writeFile(join(proj, 'big.bin'), randomBytes(50_000));
  await writeFile(join(proj, 'sub', 'notes.md'), '# notes\n');
  expect((await run('init')).code).toBe(0);
  const ids: string[] = [];
  const texts = ['alpha\n', 'alpha\nneedle here\n', 'alpha\nneedle here\nomega\n'];
  for (const [i, text] of texts.entries()) {
    await writeFile(join(proj, 'conf.txt'), text);
    if (i === 2) await writeFile(join(proj, 'new.txt'), 'added in the third\n');
    const done = await run('backup', '--json', '--quiet', proj, '--time', `2026-01-0${i + 1}T10:00:00Z`, ...(i === 2 ? ['--tag', 'third'] : []));
    expect(done.code, done.stderr).toBe(0);
    ids.push((jsonSummary(done.stdout) as { id: string }).id);
  }
  // A plan whose last run failed (the daemon's state, as `cairn daemon` writes it).
  const plans = join(home, 'config', 'cairn', 'plans.json');
  await mkdir(join(home, 'config', 'cairn'), { recursive: true });
  await writeFile(plans, JSON.stringify({ plans: [{ name: 'docs', paths: [proj], repo, schedule: 'every 1h' }] }));
  const stateDir = join(home, 'state', 'cairn');
  await mkdir(stateDir, { recursive: true });
  const at = Date.now() - 5 * 60_000;
  await writeFile(join(stateDir, 'state.json'), JSON.stringify({ version: 1, jobs: { docs: {
    lastSlot: at, failures: 3, lastSuccess: at - 5 * 3_600_000,
    lastRun: { result: 'failure', reason: 'retry', start: at, end: at + 500, error: 'proj: permission denied' },
  } } }));
  return { home, repo, proj, ids, env, plans, stateDir };
}

type Setup = Awaited<ReturnType<typeof setup>>;

describe('cairn ui: the JSON API', () => {
  let s: Setup;
  let ui: Awaited<ReturnType<typeof startUi>>;
  const get = (path: string, token: string | null = ui.token) => call(ui.base, 'GET', path, { token });
  const post = (path: string, body: unknown) => call(ui.base, 'POST', path, { token: ui.token, body });
  const tested = new Set<string>();
  const covers = (route: string): void => void tested.add(route);

  async function serve(extra: readonly string[] = []) {
    ui = await startUi(['--repo', s.repo, '--plans', s.plans, '--state-dir', s.stateDir, ...extra], s.env);
    return ui;
  }

  it('prints its URL with a token; the token becomes a cookie; no token, a wrong one or a foreign Host is refused', async () => {
    s = await setup();
    await serve();
    expect(ui.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]{43}$/);
    // No token, a wrong token (Bearer or cookie), a wrong token in the URL: 401 with a JSON error.
    for (const answer of [
      await get('/api/snapshots', null),
      await get('/api/snapshots', `${ui.token.slice(0, -1)}x`),
      await call(ui.base, 'GET', '/api/snapshots', { headers: { cookie: `cairn_ui_${ui.port}=nope` } }),
      await call(ui.base, 'GET', '/?token=wrong'),
    ]) {
      expect(answer.status).toBe(401);
      expect(answer.json().error.code).toBe('ERR_AUTH');
    }
    // The printed URL sets the cookie and sends the browser to /, without the token in the address.
    const opened = await call(ui.base, 'GET', `/?token=${ui.token}`);
    expect(opened.status).toBe(303);
    expect(opened.headers.location).toBe('/');
    const cookie = String(opened.headers['set-cookie']);
    expect(cookie).toMatch(new RegExp(`^cairn_ui_${ui.port}=${ui.token}; HttpOnly; SameSite=Strict; Path=/`));
    const withCookie = await call(ui.base, 'GET', '/api/snapshots', { headers: { cookie: cookie.split(';')[0]! } });
    expect(withCookie.status).toBe(200);
    // A page of another site that a DNS trick points here sends its own Host: 403, even with the token.
    const rebound = await call(ui.base, 'GET', '/api/snapshots', { token: ui.token, headers: { host: `evil.example:${ui.port}` } });
    expect(rebound.status).toBe(403);
    expect(rebound.json().error.code).toBe('ERR_HOST');
    expect((await call(ui.base, 'GET', '/api/repo', { token: ui.token, headers: { host: `localhost:${ui.port}` } })).status).toBe(200);
    // Another site's page may not start a restore (its Origin), nor post a form (not JSON).
    const foreign = await call(ui.base, 'POST', '/api/check', { token: ui.token, body: {}, headers: { origin: 'http://evil.example' } });
    expect(foreign.status).toBe(403);
    const form = await call(ui.base, 'POST', '/api/check', { token: ui.token, body: 'readData=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(form.status).toBe(415);
    const huge = await call(ui.base, 'POST', '/api/restore', { token: ui.token, body: { snapshot: 'latest', paths: ['/'], target: '/tmp/x', pad: 'x'.repeat(2 * 1024 * 1024) } });
    expect(huge.status).toBe(413);
    // No CORS: nothing ever allows another origin.
    expect(Object.keys(withCookie.headers).some((h) => h.startsWith('access-control-'))).toBe(false);
    // Unknown routes and methods.
    expect((await get('/api/nope')).status).toBe(404);
    expect((await call(ui.base, 'DELETE', '/api/snapshots', { token: ui.token })).status).toBe(405);
    // SIGTERM stops it, exit 0.
    ui.run.child.kill('SIGTERM');
    expect((await ui.run.done).code).toBe(0);
  });

  it('answers every read route with what the engine holds', async () => {
    s = await setup();
    await serve();
    const [first, second, third] = s.ids as [string, string, string];

    const repo = (await get('/api/repo')).json();
    covers('GET /api/repo');
    expect(repo).toMatchObject({ location: s.repo, encrypted: false, snapshots: 3 });
    expect(repo.size).toBeGreaterThan(50_000);

    const list = (await get('/api/snapshots')).json();
    covers('GET /api/snapshots');
    expect(list.snapshots.map((x: { id: string }) => x.id)).toEqual([third, second, first]);
    expect(list.snapshots[0]).toMatchObject({ short: third.slice(0, 8), time: '2026-01-03T10:00:00.000Z', tags: ['third'], kind: 'backup', parent: second, paths: [s.proj] });
    expect(list.snapshots[2].summary).toMatchObject({ files: 3, bytesRead: 50_000 + 8 + 6 });
    expect((await get('/api/snapshots?tag=third')).json().snapshots).toHaveLength(1);

    const root = (await get(`/api/snapshots/${first.slice(0, 6)}/ls?path=/`)).json();
    covers('GET /api/snapshots/:id/ls');
    expect(root).toMatchObject({ snapshot: first, path: '/', entries: [{ name: 'proj', type: 'dir' }] });
    const proj = (await get('/api/snapshots/latest/ls?path=/proj')).json();
    expect(proj.entries.map((e: { name: string; type: string; size: number }) => [e.name, e.type, e.size])).toEqual([
      ['big.bin', 'file', 50_000], ['conf.txt', 'file', 24], ['new.txt', 'file', 19], ['sub', 'dir', 0],
    ]);
    expect((await get('/api/snapshots/latest/ls?path=/proj/missing')).status).toBe(404);

    const text = await get(`/api/snapshots/${second}/file?path=/proj/conf.txt`);
    covers('GET /api/snapshots/:id/file');
    expect(text.status).toBe(200);
    expect(text.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(text.headers['content-security-policy']).toMatch(/sandbox/);
    expect(text.body.toString()).toBe('alpha\nneedle here\n');
    const big = await get('/api/snapshots/latest/file?path=/proj/big.bin&download=1');
    expect(big.headers['content-type']).toBe('application/octet-stream');
    expect(big.headers['content-disposition']).toMatch(/^attachment; filename="big.bin"/);
    expect(big.body.equals(await readFile(join(s.proj, 'big.bin')))).toBe(true);
    expect((await get('/api/snapshots/latest/file?path=/proj/sub')).status).toBe(400);

    const tar = await get('/api/snapshots/latest/archive?path=/proj/sub&format=tar');
    covers('GET /api/snapshots/:id/archive');
    expect(tar.status).toBe(200);
    expect(tar.headers['content-type']).toBe('application/x-tar');
    expect(tar.body.toString('latin1')).toContain('# notes\n');
    const zip = await get('/api/snapshots/latest/archive?path=/proj/sub&format=zip');
    expect(zip.body.subarray(0, 4).toString('latin1')).toBe('PK\x03\x04');
    expect((await get('/api/snapshots/latest/archive?path=/proj&format=rar')).status).toBe(400);

    const diff = (await get(`/api/diff?from=${first}&to=${third}`)).json();
    covers('GET /api/diff');
    expect(diff.changes.map((c: { path: string; change: string }) => [c.path, c.change])).toEqual([['/proj/conf.txt', 'modified'], ['/proj/new.txt', 'added']]);
    expect(diff.changes[0].before.size).toBe(6);
    expect(diff.stats).toMatchObject({ modified: 1, added: { files: 1 } });

    const sides = (await get(`/api/diff/file?from=${first}&to=${third}&path=/proj/conf.txt`)).json();
    covers('GET /api/diff/file');
    expect(sides).toMatchObject({ path: '/proj/conf.txt', before: 'alpha\n', after: 'alpha\nneedle here\nomega\n', binary: false });
    expect((await get(`/api/diff/file?from=${first}&to=${third}&path=/proj/new.txt`)).json()).toMatchObject({ before: null, after: 'added in the third\n' });
    expect((await get(`/api/diff/file?from=${first}&to=${third}&path=/proj/big.bin`)).json()).toMatchObject({ binary: true, before: null, after: null });

    const found = (await get('/api/find?pattern=*.md')).json();
    covers('GET /api/find');
    expect(found.matches).toEqual([expect.objectContaining({ path: '/proj/sub/notes.md', type: 'file', snapshots: [first, second, third].map((id) => id.slice(0, 8)), first: '2026-01-01T10:00:00.000Z', last: '2026-01-03T10:00:00.000Z' })]);

    const grep = (await get('/api/grep?q=needle')).json();
    covers('GET /api/grep');
    expect(grep.matches.map((m: { path: string; line: number; text: string }) => [m.path, m.line, m.text])).toEqual([
      ['/proj/conf.txt', 2, 'needle here'], ['/proj/conf.txt', 2, 'needle here'],
    ]);
    // Introduced in the second snapshot, whichever content holds it now.
    expect(grep.matches.every((m: { introduced: { snapshot: string } }) => m.introduced.snapshot === second.slice(0, 8))).toBe(true);
    expect((await get('/api/grep?q=ne+dle&regex=1')).json().total).toBe(0);
    expect((await get('/api/grep?q=ne.dle&regex=1')).json().total).toBe(2);

    const versions = (await get('/api/versions?path=/proj/conf.txt')).json();
    covers('GET /api/versions');
    expect(versions.versions.map((v: { number: number; id: string; size: number }) => [v.number, v.id, v.size])).toEqual([[1, first, 6], [2, second, 18], [3, third, 24]]);

    const plans = (await get('/api/plans')).json();
    covers('GET /api/plans');
    expect(plans.plans).toEqual([expect.objectContaining({
      plan: 'docs', failures: 3, overdue: true, lastRun: expect.objectContaining({ result: 'failure', error: 'proj: permission denied' }),
    })]);

    const stats = (await get('/api/stats')).json();
    covers('GET /api/stats');
    expect(stats).toMatchObject({ snapshots: 3, restoreFiles: 10 });
    const history = (await get('/api/stats/history')).json();
    covers('GET /api/stats/history');
    expect(history.points.map((p: { snapshot: string }) => p.snapshot)).toEqual([first, second, third].map((id) => id.slice(0, 8)));
    expect(history.points[2].repoSize).toBe(history.points.reduce((sum: number, p: { storedAdded: number }) => sum + p.storedAdded, 0));

    // A backup made while the server runs shows at once (the snapshot folder is read per request, the index reloaded).
    await writeFile(join(s.proj, 'later.txt'), 'made while serving\n');
    expect((await cairn(['--repo', s.repo, 'backup', '--quiet', s.proj], { home: s.home, env: s.env })).code).toBe(0);
    expect((await get('/api/snapshots')).json().snapshots).toHaveLength(4);
    expect((await get('/api/snapshots/latest/file?path=/proj/later.txt')).body.toString()).toBe('made while serving\n');
  });

  it('refuses path traversal and bad paths in every route that takes a path', async () => {
    s = await setup();
    await serve();
    for (const path of ['/proj/../../etc/passwd', '../proj', 'proj/conf.txt', '/proj/./conf.txt', '/proj/%00conf.txt']) {
      const q = path.includes('%') ? path : encodeURIComponent(path);
      for (const route of [`/api/snapshots/latest/ls?path=${q}`, `/api/snapshots/latest/file?path=${q}`, `/api/snapshots/latest/archive?path=${q}`,
        `/api/versions?path=${q}`, `/api/diff?from=latest&to=latest&path=${q}`, `/api/diff/file?from=latest&to=latest&path=${q}`]) {
        const answer = await get(route);
        expect(answer.status, `${route}: ${answer.body.toString()}`).toBe(400);
        expect(answer.json().error.code).toBe('ERR_PATH');
      }
    }
    // The page's files: no way out of the page's folder either.
    // (An extension-less path the URL normalises to, like /etc/passwd, gets the page itself once it is built.)
    const page = await readFile(join(dirname(CLI), 'web', 'index.html'), 'utf8').catch(() => null);
    for (const path of ['/../../../etc/passwd', '/%2e%2e/%2e%2e/etc/passwd', '/..%2f..%2fetc/passwd']) {
      const answer = await get(path, null);
      if (answer.status === 200) expect(answer.body.toString(), `${path}: 200 is the page's index.html`).toBe(page);
      else expect([400, 404, 503], `${path}: ${answer.status}`).toContain(answer.status);
      expect(answer.body.toString()).not.toContain('root:');
    }
  });

  it('restores one file into the folder chosen, its bytes as backed up; refuses a relative target, "..", and a target outside --restore-root', async () => {
    s = await setup();
    const root = join(s.home, 'restores');
    await mkdir(root);
    await serve(['--restore-root', root]);
    const target = join(root, 'one');
    const started = await post('/api/restore', { snapshot: s.ids[1], paths: ['/proj/conf.txt'], target, overwrite: 'never' });
    covers('POST /api/restore');
    expect(started.status, started.body.toString()).toBe(202);
    const { job } = started.json();
    const seen = await events(ui.base, ui.token, job);
    covers('GET /api/jobs/:id/events');
    expect(seen.at(-1)).toEqual(['end', expect.objectContaining({ state: 'done', result: expect.objectContaining({ files: 1, bytesWritten: 18, problems: [] }) })]);
    expect(seen.some(([event, data]) => event === 'progress' && data.total === 18)).toBe(true);
    expect(await readFile(join(target, 'proj', 'conf.txt'), 'utf8')).toBe('alpha\nneedle here\n');
    expect(await readdir(join(target, 'proj'))).toEqual(['conf.txt']);
    const jobs = (await get('/api/jobs')).json();
    covers('GET /api/jobs');
    expect(jobs.jobs[0]).toMatchObject({ id: job, kind: 'restore', state: 'done' });

    const refused = async (body: Record<string, unknown>, status: number, code: string, what: RegExp): Promise<void> => {
      const answer = await post('/api/restore', { snapshot: 'latest', paths: ['/proj/conf.txt'], target, ...body });
      expect(answer.status, answer.body.toString()).toBe(status);
      expect(answer.json().error).toMatchObject({ code });
      expect(answer.json().error.message).toMatch(what);
    };
    await refused({ target: 'restores/one' }, 400, 'ERR_PATH', /not an absolute path/);
    await refused({ target: `${root}/../escaped` }, 400, 'ERR_PATH', /"\.\."/);
    await refused({ target: join(s.home, 'elsewhere') }, 403, 'ERR_PATH', /outside .*restores/);
    await refused({ target: `${root}x` }, 403, 'ERR_PATH', /outside/);
    await refused({ paths: ['/proj/../../x'] }, 400, 'ERR_PATH', /paths\[0\]/);
    await refused({ paths: ['proj/conf.txt'] }, 400, 'ERR_PATH', /starts with "\/"/);
    await refused({ overwrite: 'sometimes' }, 400, 'ERR_USAGE', /overwrite/);
    await refused({ snapshot: 'ffffffff' }, 404, 'ERR_NOT_FOUND', /ffffffff/);
    // Nothing was written by the refused ones.
    expect(await readdir(root)).toEqual(['one']);
    ui.run.child.kill('SIGTERM');
    expect((await ui.run.done).code).toBe(0);
  });

  it('names that are not UTF-8: listed, read, downloaded, found and restored by their bytes', async () => {
    s = await setup();
    // A Latin-1 name (the byte 0xE9), as a file system holds it.
    const raw = Buffer.concat([Buffer.from(join(s.proj, 'caf')), Buffer.from([0xe9]), Buffer.from('.txt')]);
    await writeFile(raw, 'latin-1 name\n');
    const done = await cairn(['--repo', s.repo, 'backup', '--json', '--quiet', s.proj], { home: s.home, env: s.env });
    expect(done.code, done.stderr).toBe(0);
    await serve();
    const listing = (await get('/api/snapshots/latest/ls?path=/proj')).json();
    const name = 'caf\udce9.txt'; // the byte kept as a lone surrogate (JSON: "caf\udce9.txt")
    expect(listing.entries.map((e: { name: string }) => e.name)).toContain(name);
    // The page writes the raw byte as its own %-escape (web/src/names.ts); the server reads it back as that byte.
    const file = await get('/api/snapshots/latest/file?path=/proj/caf%E9.txt&download=1');
    expect(file.status, file.body.toString()).toBe(200);
    expect(file.body.toString()).toBe('latin-1 name\n');
    expect(String(file.headers['content-disposition'])).toMatch(/filename="caf_\.txt"; filename\*=UTF-8''caf%EF%BF%BD\.txt/);
    const versions = (await get('/api/versions?path=/proj/caf%E9.txt')).json();
    expect(versions.versions).toHaveLength(1);
    const found = (await get('/api/find?pattern=caf*')).json();
    expect(found.matches.map((m: { path: string }) => m.path)).toContain(`/proj/${name}`);
    // Restored by the name the API gave (JSON keeps the lone surrogate), to a file with the same bytes in its name.
    const target = join(s.home, 'restored');
    const started = await post('/api/restore', { snapshot: 'latest', paths: [`/proj/${name}`], target });
    expect(started.status, started.body.toString()).toBe(202);
    const seen = await events(ui.base, ui.token, started.json().job);
    expect(seen.at(-1)).toEqual(['end', expect.objectContaining({ state: 'done', result: expect.objectContaining({ files: 1 }) })]);
    const names = await readdir(join(target, 'proj'), { encoding: 'buffer' });
    expect(names.map((n) => n.toString('hex'))).toEqual([Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x2e, 0x74, 0x78, 0x74]).toString('hex')]);
    ui.run.child.kill('SIGTERM');
    expect((await ui.run.done).code).toBe(0);
  });

  it('runs check as a job with progress events; a restore cancelled with DELETE ends cancelled', async () => {
    s = await setup();
    await writeFile(join(s.proj, 'large.bin'), randomBytes(48 * 1024 * 1024));
    expect((await cairn(['--repo', s.repo, 'backup', '--quiet', s.proj], { home: s.home, env: s.env })).code).toBe(0);
    await serve();
    const check = await post('/api/check', { readData: true });
    covers('POST /api/check');
    expect(check.status).toBe(202);
    const seen = await events(ui.base, ui.token, check.json().job);
    expect(seen.filter(([event]) => event === 'progress').length).toBeGreaterThan(1);
    expect(seen.at(-1)).toEqual(['end', expect.objectContaining({ state: 'done', result: expect.objectContaining({ ok: true, problems: [] }) })]);

    const target = join(s.home, 'cancelled');
    const started = await post('/api/restore', { snapshot: 'latest', paths: ['/'], target });
    expect(started.status).toBe(202);
    const { job } = started.json();
    const stream = events(ui.base, ui.token, job);
    const cancelled = await call(ui.base, 'DELETE', `/api/jobs/${job}`, { token: ui.token });
    covers('DELETE /api/jobs/:id');
    expect(cancelled.status).toBe(200);
    const end = (await stream).at(-1)!;
    expect(end).toEqual(['end', expect.objectContaining({ state: 'cancelled', error: expect.objectContaining({ code: 'ERR_ABORTED' }) })]);
    // Nothing half-written under the name of a file: the large file is whole or absent.
    const large = await readFile(join(target, 'proj', 'large.bin')).catch(() => undefined);
    if (large !== undefined) expect(large.length).toBe(48 * 1024 * 1024);
    expect((await get('/api/jobs')).json().jobs[0]).toMatchObject({ id: job, state: 'cancelled' });
    expect((await call(ui.base, 'DELETE', '/api/jobs/nope', { token: ui.token })).status).toBe(404);
  });

  it('every route of the API is tested above', () => {
    const all = API_ROUTES.map((route) => `${route.method} ${route.path}`);
    expect(all.filter((route) => !tested.has(route))).toEqual([]);
  });
});

describe('cairn ui: the command', () => {
  it('refuses to listen beyond loopback without a password, and asks for it when given one', async () => {
    const home = await tempDir();
    const repo = join(home, 'repo');
    expect((await cairn(['--repo', repo, 'init'], { home })).code).toBe(0);
    const open = await cairn(['--repo', repo, 'ui', '--listen', '0.0.0.0:0'], { home });
    expect(open.code).toBe(1);
    expect(open.stderr.split('\n')[0]).toMatch(/^cairn: --listen 0\.0\.0\.0:0 is reachable from other machines: give --ui-password-file/);
    const file = join(home, 'ui-password');
    await writeFile(join(home, 'ui-password'), 'sesame\n');
    const ui = await startUi(['--repo', repo, '--listen', '0.0.0.0:0', '--ui-password-file', file]);
    const basic = (user: string, password: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`, cookie: `cairn_ui_${ui.port}=${ui.token}` });
    const none = await call(ui.base, 'GET', '/api/repo', { headers: { cookie: `cairn_ui_${ui.port}=${ui.token}` } });
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toMatch(/^Basic/);
    expect((await call(ui.base, 'GET', '/api/repo', { headers: basic('cairn', 'wrong') })).status).toBe(401);
    expect((await call(ui.base, 'GET', '/api/repo', { headers: basic('cairn', 'sesame') })).status).toBe(200);
  });

  it('--open hands the printed URL to the desktop\'s opener (xdg-open), and the server goes on when there is none', async () => {
    const home = await tempDir();
    const repo = join(home, 'repo');
    expect((await cairn(['--repo', repo, 'init'], { home })).code).toBe(0);
    // A stand-in xdg-open first on PATH that writes down what it was asked to open.
    const bin = join(home, 'bin');
    await mkdir(bin);
    const opened = join(home, 'opened.txt');
    await writeFile(join(bin, 'xdg-open'), `#!/bin/sh\nprintf '%s' "$1" > '${opened}'\n`, { mode: 0o755 });
    const ui = await startUi(['--repo', repo, '--open'], { HOME: home, PATH: `${bin}:${process.env['PATH'] ?? ''}` });
    let url = '';
    for (let i = 0; i < 100 && url === ''; i += 1) {
      url = await readFile(opened, 'utf8').catch(() => '');
      if (url === '') await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(url).toBe(ui.url);
    // Without any opener: a warning, and the server answers all the same.
    const bare = await startUi(['--repo', repo, '--open'], { HOME: home, PATH: join(home, 'nothing') });
    expect((await call(bare.base, 'GET', '/api/repo', { token: bare.token })).status).toBe(200);
    bare.run.child.kill('SIGTERM');
    const end = await bare.run.done;
    expect(end.code).toBe(0);
    expect(end.stderr).toMatch(/--open: could not start xdg-open/);
  });

  it('serves an encrypted repository opened with its password once, at start', async () => {
    const home = await tempDir();
    const repo = join(home, 'repo');
    const proj = join(home, 'proj');
    const env = { CAIRN_PASSWORD: 'ui test password' };
    await mkdir(proj);
    await writeFile(join(proj, 'secret.txt'), 'only with the password\n');
    expect((await cairn(['--repo', repo, 'init', '--encryption', 'aes-256-gcm'], { home, env })).code).toBe(0);
    expect((await cairn(['--repo', repo, 'backup', '--quiet', proj], { home, env })).code).toBe(0);
    const wrong = await cairn(['--repo', repo, 'ui'], { home, env: { CAIRN_PASSWORD: 'not it' } });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr.split('\n')[0]).toMatch(/^cairn: .*password/);
    const ui = await startUi(['--repo', repo], env);
    expect((await call(ui.base, 'GET', '/api/repo', { token: ui.token })).json()).toMatchObject({ encrypted: true, encryption: 'aes-256-gcm', snapshots: 1 });
    expect((await call(ui.base, 'GET', '/api/snapshots/latest/file?path=/proj/secret.txt', { token: ui.token })).body.toString()).toBe('only with the password\n');
  });

  it('serves a plain 503 page naming the missing build when the page was not built', async () => {
    const home = await tempDir();
    const repo = join(home, 'repo');
    expect((await cairn(['--repo', repo, 'init'], { home })).code).toBe(0);
    const ui = await startUi(['--repo', repo], { CAIRN_UI_WEB_DIR: join(home, 'no-web') });
    const page = await call(ui.base, 'GET', '/');
    expect(page.status).toBe(503);
    expect(page.body.toString()).toContain(join(home, 'no-web', 'index.html'));
    expect((await call(ui.base, 'GET', '/api/repo', { token: ui.token })).status).toBe(200);
  });

  it('serves the page\'s files from its folder, without the token', async () => {
    const home = await tempDir();
    const repo = join(home, 'repo');
    const web = join(home, 'web');
    await mkdir(web);
    await writeFile(join(web, 'index.html'), '<!doctype html><title>cairn</title><script src="/app.js"></script>');
    await writeFile(join(web, 'app.js'), 'console.log(1);');
    expect((await cairn(['--repo', repo, 'init'], { home })).code).toBe(0);
    // With --json the URL comes as a `listening` line.
    const run = startCli(['--repo', repo, 'ui', '--json'], { CAIRN_UI_WEB_DIR: web });
    onTestFinished(() => void run.child.kill('SIGKILL'));
    const line = await new Promise<string>((resolve) => run.child.stdout?.on('data', (d: Buffer) => resolve(d.toString())));
    const listening = JSON.parse(line.split('\n')[0]!) as { type: string; url: string };
    expect(listening).toMatchObject({ type: 'listening', url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/\?token=/) });
    const base = new URL(listening.url).origin;
    const index = await call(base, 'GET', '/');
    expect(index.status).toBe(200);
    expect(index.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(index.headers['content-security-policy']).toMatch(/default-src 'self'/);
    expect((await call(base, 'GET', '/snapshots/abc')).body.toString()).toContain('<title>cairn</title>');
    expect((await call(base, 'GET', '/app.js')).headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect((await call(base, 'GET', '/missing.js')).status).toBe(404);
  });
});
