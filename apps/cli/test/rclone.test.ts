import { chmod, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { seededBytes } from '../../../packages/repository/test/helpers.js';
import { cairn, expectAllOrNothing, tempDir } from './run-cli.js';
import type { Run } from './run-cli.js';

/** Remote repositories are always encrypted: every run gives the password. */
const PW = { CAIRN_PASSWORD: 'remote test password' };

const ok = (run: Run): Run => {
  expect(run.code, run.stderr).toBe(0);
  return run;
};

async function sources(home: string, size: number): Promise<string> {
  const dir = join(home, 'src');
  await import('node:fs/promises').then((fs) => fs.mkdir(dir));
  for (let i = 0; i < 5; i++) await writeFile(join(dir, `f${i}.bin`), seededBytes(size, 40 + i));
  return dir;
}

/** rclone through a script that records its pid (to kill it) and slows transfers down (to kill it mid-backup). */
async function rcloneWrapper(home: string): Promise<{ env: Record<string, string>; pid: () => Promise<number | undefined> }> {
  const script = join(home, 'rclone-wrapper');
  const pidFile = join(home, 'rclone.pid');
  await writeFile(script, `#!/bin/sh\necho $$ > '${pidFile}'\nexec rclone --config /dev/null --bwlimit 4M "$@"\n`);
  await chmod(script, 0o755);
  return {
    env: { ...PW, CAIRN_RCLONE_PROGRAM: script },
    pid: () => readFile(pidFile, 'utf8').then((text) => Number(text.trim()), () => undefined),
  };
}

describe('rclone: repositories', () => {
  it('back up to an rclone remote, in the same layout as a local repository', async () => {
    const home = await tempDir();
    const folder = join(home, 'repo');
    const env = { RCLONE_CONFIG: '/dev/null' };
    const repo = `rclone::local:${folder}`;
    ok(await cairn(['--repo', repo, 'init'], { home, env: { ...PW, ...env } }));
    ok(await cairn(['--repo', repo, 'backup', await sources(home, 100_000)], { home, env: { ...PW, ...env } }));
    ok(await cairn(['--repo', repo, 'backup', join(home, 'src')], { home, env: { ...PW, ...env } }));
    expect(await readdir(join(folder, 'snapshots'))).toHaveLength(2);
    ok(await cairn(['--repo', folder, 'check', '--read-data'], { home, env: PW }));
    const missing = await cairn(['--repo', 'rclone:nosuchremote:repo', 'snapshots'], { home, env: { ...PW, ...env } });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^cairn: rclone:nosuchremote:repo: rclone serve restic exited with status 1: .*nosuchremote/m);
    const noRclone = await cairn(['--repo', repo, 'snapshots'], { home, env: { ...PW, PATH: '/nonexistent' } });
    expect(noRclone.code).toBe(1);
    expect(noRclone.stderr).toContain('"rclone" is not installed (not found on PATH)');
  });

  it('rclone killed mid-backup: a clear error and no snapshot (or, killed after the snapshot landed, a backup that stands), and the next backup completes', async () => {
    const home = await tempDir();
    const folder = join(home, 'repo');
    const wrapper = await rcloneWrapper(home);
    const repo = `rclone::local:${folder}`;
    ok(await cairn(['--repo', repo, 'init'], { home, env: { ...PW, ...wrapper.env } }));
    const src = await sources(home, 3_000_000);
    // One try: the kill is the error (with retries, the next request starts another rclone and the backup goes on).
    const backup = cairn(['--repo', repo, 'backup', src], { home, env: { ...PW, ...wrapper.env, CAIRN_RETRY_ATTEMPTS: '1' } });
    let killed = false;
    for (let i = 0; i < 500 && !killed; i++) {
      await sleep(10);
      const packs = (await readdir(join(folder, 'data'), { recursive: true })).filter((p) => /\/[0-9a-f]{64}$/.test(p));
      const pid = await wrapper.pid();
      if (packs.length > 0 && pid !== undefined) {
        process.kill(pid, 'SIGKILL');
        killed = true;
      }
    }
    expect(killed).toBe(true);
    // On a loaded machine the kill can come after the snapshot landed: then the backup stands.
    const stored = await expectAllOrNothing(await backup, folder, /^cairn: rclone::local:.*: rclone serve restic was killed \(SIGKILL\)/m);
    ok(await cairn(['--repo', folder, 'check'], { home, env: PW }));
    ok(await cairn(['--repo', repo, 'backup', src], { home, env: { ...PW, RCLONE_CONFIG: '/dev/null' } }));
    expect(await readdir(join(folder, 'snapshots'))).toHaveLength(stored + 1);
    ok(await cairn(['--repo', folder, 'check', '--read-data'], { home, env: PW }));
  });
});
