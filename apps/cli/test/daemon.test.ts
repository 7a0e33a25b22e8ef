import { execFileSync } from 'node:child_process';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cairn, jsonLines, readDaemonLog, startCli, tempDir, until } from './run-cli.js';

/** An environment with the config, state and data folders in `home`. */
const envOf = (home: string): Record<string, string> => ({
  HOME: home, XDG_CONFIG_HOME: join(home, 'config'), XDG_STATE_HOME: join(home, 'state'), XDG_DATA_HOME: join(home, 'data'), CAIRN_PASSWORD: '',
});

async function writePlans(home: string, plans: unknown[]): Promise<string> {
  const file = join(home, 'config', 'cairn', 'plans.json');
  await mkdir(join(home, 'config', 'cairn'), { recursive: true });
  await writeFile(file, JSON.stringify({ plans }, null, 2));
  return file;
}



const backups = (log: Record<string, unknown>[], event: string): Record<string, unknown>[] => log.filter((e) => e['operation'] === 'backup' && e['event'] === event);

describe('plans file', () => {
  it('names the file and each bad key', async () => {
    const home = await tempDir();
    const file = await writePlans(home, [{ name: 'docs', paths: ['a'], repo: 'r', schedule: 'every soon', trigger: 'sometimes', hooks: { done: { command: 'x' } } }]);
    const run = await cairn(['status'], { home, env: envOf(home) });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(file);
    expect(run.stderr).toContain('plans[0].schedule: "soon" is not a duration');
    expect(run.stderr).toContain('plans[0].trigger must be "schedule" or "activity"');
    expect(run.stderr).toContain('plans[0].hooks.done is not a known key');
    await writePlans(home, [{ name: 'docs', paths: [], repo: 'r', schedule: '0 3 * * *' }]);
    expect((await cairn(['daemon'], { home, env: envOf(home) })).stderr).toContain('plans[0].paths: the plan names nothing to back up');
  });
});

describe('cairn daemon', () => {
  it('runs a short schedule through the daemon process, logs JSON Lines, runs hooks and a webhook, and status reads it', async () => {
    const home = await tempDir();
    const src = join(home, 'src');
    await mkdir(src);
    await writeFile(join(src, 'a.txt'), 'hello');
    const repo = join(home, 'repo');
    expect((await cairn(['init', '--repo', repo], { home, env: envOf(home) })).code).toBe(0);
    const received: unknown[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      // The first delivery fails: the hook retries.
      req.on('end', () => {
        received.push(JSON.parse(body));
        res.statusCode = received.length === 1 ? 503 : 200;
        res.end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    const hookOut = join(home, 'hook.env');
    await writePlans(home, [{
      name: 'docs', paths: [src], repo, schedule: 'every 2s', retention: { last: 1 },
      hooks: {
        success: { command: `env | grep ^CAIRN_ | sort > ${hookOut}`, webhook: `http://127.0.0.1:${port}/hook` },
        start: { command: 'exit 7' }, // a failing hook is reported, the backup still succeeds
      },
    }]);
    // A manual backup of another folder in the same repository: the plan's retention must leave it alone.
    const other = join(home, 'other');
    await mkdir(other, { recursive: true });
    await writeFile(join(other, 'keep.txt'), 'not the plan\'s\n');
    for (let i = 0; i < 2; i += 1) expect((await cairn(['--repo', repo, 'backup', other], { home, env: envOf(home) })).code).toBe(0);
    const daemon = startCli(['daemon'], envOf(home));
    try {
      await until('two backups', async () => backups(await readDaemonLog(home), 'success').length >= 2);
      // A second daemon on the same state folder would run the same plans at once: refused.
      const second = await cairn(['daemon'], { home, env: envOf(home) });
      expect(second.code).toBe(1);
      expect(second.stderr).toMatch(/another cairn daemon or watch \(pid \d+\) runs the plans/);
      await until('the webhook', async () => received.length >= 2);
    } finally {
      daemon.child.kill('SIGTERM');
    }
    const end = await daemon.done;
    server.close();
    expect(end.code).toBe(0);
    const log = await readDaemonLog(home);
    const first = backups(log, 'success')[0]!;
    expect(first).toMatchObject({ plan: 'docs', reason: 'schedule', result: 'success' });
    expect(first['snapshot']).toMatch(/^[0-9a-f]{64}$/);
    expect(log.some((e) => e['operation'] === 'hook' && e['event'] === 'start' && e['ok'] === false && String(e['message']).includes('exited with 7'))).toBe(true);
    expect(backups(log, 'failure')).toEqual([]);
    const env = await readFile(hookOut, 'utf8');
    expect(env).toContain('CAIRN_PLAN=docs');
    expect(env).toContain('CAIRN_EVENT=success');
    expect(env).toMatch(/CAIRN_SNAPSHOT_ID=[0-9a-f]{64}/);
    expect(env).toMatch(/CAIRN_FILES=1\n/);
    expect(env).toMatch(/CAIRN_DURATION_MS=\d+/);
    expect(received[1]).toMatchObject({ plan: 'docs', event: 'success', files: 1, repo });
    // The retention ran after each backup: one snapshot is kept.
    const kept = await cairn(['--repo', repo, '--json', 'snapshots', '--path', src], { home, env: envOf(home) });
    expect(kept.stdout.match(/"type":"snapshot"/g)).toHaveLength(1);
    const others = await cairn(['--repo', repo, '--json', 'snapshots', '--path', other], { home, env: envOf(home) });
    expect(others.stdout.match(/"type":"snapshot"/g)).toHaveLength(2);
    // No lock is left on the repository.
    expect(await readdir(join(repo, 'locks')).catch(() => [])).toEqual([]);
    const status = await cairn(['--json', 'status'], { home, env: envOf(home) });
    expect(status.code).toBe(0);
    const plan = jsonLines(status.stdout).find((m) => m.type === 'plan')!['plan'] as Record<string, unknown>;
    expect(plan).toMatchObject({ plan: 'docs', overdue: false, failures: 0, lastRun: { result: 'success' } });
    expect(plan['repositorySize']).toBeGreaterThan(0);
    expect(typeof plan['nextRun']).toBe('string');
  });

  it('records a failing backup as failed, retries it with backoff, runs the failure hook, and status exits 1', async () => {
    const home = await tempDir();
    const hookOut = join(home, 'failure.env');
    await writePlans(home, [{
      name: 'broken', paths: [join(home, 'missing')], repo: join(home, 'no-repo'), schedule: 'every 1h', retry: { delay: '1s', max: '1s' },
      hooks: { failure: { command: `env | grep ^CAIRN_ >> ${hookOut}` } },
    }]);
    const daemon = startCli(['daemon'], envOf(home));
    try {
      await until('a retry', async () => backups(await readDaemonLog(home), 'failure').length >= 2);
    } finally {
      daemon.child.kill('SIGTERM');
    }
    expect((await daemon.done).code).toBe(0);
    const failures = backups(await readDaemonLog(home), 'failure');
    expect(failures[0]).toMatchObject({ reason: 'schedule', failures: 1 });
    expect(failures[1]).toMatchObject({ reason: 'retry', failures: 2 });
    expect(String(failures[0]!['error'])).toMatch(/missing/);
    await until('the failure hook', async () => (await readFile(hookOut, 'utf8').catch(() => '')).includes('CAIRN_ERROR='));
    const status = await cairn(['--json', 'status', '--no-size'], { home, env: envOf(home) });
    expect(status.code).toBe(1);
    const plan = jsonLines(status.stdout).find((m) => m.type === 'plan')!['plan'] as Record<string, unknown>;
    expect(plan).toMatchObject({ plan: 'broken', overdue: true, why: 'it has never succeeded', lastRun: { result: 'failure' } });
    expect(plan['failures']).toBeGreaterThanOrEqual(2);
  });

  it('install writes a systemd user unit that systemd-analyze accepts; uninstall removes it', async () => {
    const home = await tempDir();
    await writePlans(home, [{ name: 'docs', paths: [home], repo: join(home, 'repo'), schedule: '0 3 * * *' }]);
    const install = await cairn(['--json', 'daemon', 'install'], { home, env: envOf(home) });
    const unit = join(home, 'config', 'systemd', 'user', 'cairn-daemon.service');
    const text = await readFile(unit, 'utf8');
    expect(text).toMatch(/^ExecStart=\S+ \S+main\.js daemon --plans \S+plans\.json$/m);
    const result = jsonLines(install.stdout).at(-1)!;
    let hasAnalyze = true;
    try {
      execFileSync('systemd-analyze', ['--version']);
    } catch {
      hasAnalyze = false;
    }
    if (hasAnalyze) {
      expect(result['verified'], String(result['verifyMessage'])).toBe(true);
      expect(install.code).toBe(0);
    } else {
      expect(result['verified']).toBe(null); // skipped: systemd-analyze is not installed
    }
    const uninstall = await cairn(['daemon', 'uninstall'], { home, env: envOf(home) });
    expect(uninstall.code).toBe(0);
    await expect(readFile(unit)).rejects.toThrow(/ENOENT/);
  });
});

describe('missed runs and projects', () => {
  it('makes up a run missed while the daemon was down, once; a plan may name configured projects', async () => {
    const home = await tempDir();
    const src = join(home, 'acme');
    await mkdir(src);
    await writeFile(join(src, 'main.c'), 'int main;');
    await mkdir(join(home, 'config', 'cairn'), { recursive: true });
    await writeFile(join(home, 'config', 'cairn', 'config.json'), JSON.stringify({ projects: [{ path: src, project: 'acme', client: 'ACME' }] }));
    const repo = join(home, 'repo');
    expect((await cairn(['init', '--repo', repo], { home, env: envOf(home) })).code).toBe(0);
    const file = await writePlans(home, [{ name: 'acme', projects: ['acme', 'nope'], repo, schedule: 'every 1h' }]);
    const bad = await cairn(['status'], { home, env: envOf(home) });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(`${file}: plans[0].projects: no configured project "nope" (configured: acme)`);
    await writePlans(home, [{ name: 'acme', projects: ['acme'], repo, schedule: 'every 1h', maintenance: { check: { schedule: 'every 1d', readDataSubset: '50%' } } }]);
    // The last run was three hours ago: two slots were missed while the daemon was down.
    const before = Date.now() - 3 * 3_600_000;
    await mkdir(join(home, 'state', 'cairn'), { recursive: true });
    await writeFile(join(home, 'state', 'cairn', 'state.json'), JSON.stringify({ version: 1, jobs: { acme: { lastSlot: before, lastSuccess: before + 1000, failures: 0, lastRun: { result: 'success', reason: 'schedule', start: before, end: before + 1000 } } } }));
    const daemon = startCli(['daemon'], envOf(home));
    try {
      await until('the catch-up run and the check', async () => {
        const log = await readDaemonLog(home);
        return backups(log, 'success').length >= 1 && log.some((e) => e['operation'] === 'check' && e['event'] !== 'start');
      });
      await new Promise((resolve) => setTimeout(resolve, 1000));
    } finally {
      daemon.child.kill('SIGTERM');
    }
    expect((await daemon.done).code).toBe(0);
    const log = await readDaemonLog(home);
    const starts = backups(log, 'start');
    expect(starts.map((e) => e['reason'])).toEqual(['catch-up']); // once, not once per missed slot
    // The maintenance job never ran: it runs at once, on its own schedule.
    expect(log.filter((e) => e['operation'] === 'check').map((e) => e['event'])).toEqual(['start', 'success']);
    const snapshots = await cairn(['--repo', repo, '--json', 'snapshots'], { home, env: envOf(home) });
    expect(snapshots.stdout).toContain('"project":"acme"');
    const status = await cairn(['--json', 'status', '--no-size'], { home, env: envOf(home) });
    expect(status.code).toBe(0);
  });
});

describe('cairn status', () => {
  it('exits 0 when every plan succeeded within its interval and 1 when one did not', async () => {
    const home = await tempDir();
    await writePlans(home, [
      { name: 'fresh', paths: [home], repo: join(home, 'r1'), schedule: 'every 1h' },
      { name: 'stale', paths: [home], repo: join(home, 'r2'), schedule: 'every 1h' },
    ]);
    const now = Date.now();
    const record = (at: number) => ({ lastSlot: at, lastSuccess: at + 1000, failures: 0, lastRun: { result: 'success', reason: 'schedule', start: at, end: at + 1000, snapshot: 'ab'.repeat(32) } });
    await mkdir(join(home, 'state', 'cairn'), { recursive: true });
    const write = (jobs: unknown) => writeFile(join(home, 'state', 'cairn', 'state.json'), JSON.stringify({ version: 1, jobs }));
    await write({ fresh: record(now - 10 * 60_000), stale: record(now - 20 * 60_000) });
    const ok = await cairn(['status', '--no-size'], { home, env: envOf(home) });
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('fresh: ok');
    await write({ fresh: record(now - 10 * 60_000), stale: record(now - 3 * 3_600_000) });
    const late = await cairn(['status', '--no-size'], { home, env: envOf(home) });
    expect(late.code).toBe(1);
    expect(late.stdout).toMatch(/stale: OVERDUE \(no success for 1\d\d min/);
  });
});
