import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findExecutable } from '../src/find-executable.js';
import { sshdUnavailable } from '../src/sftp-server.js';
import { bench, CLI, tableRow } from './run-bench.js';
import { tempDir } from './temp-dir.js';

const seconds = /^\d+\.\d+ s$/;
const bytes = /^\d+(\.\d+)? (B|kB|MB)$/;

interface RemoteJson {
  samples: { tool: string; kind: string; phase: string; seconds: number; userSeconds?: number; systemSeconds?: number; bytesSent?: number }[];
  medians: Record<string, { seconds: Record<string, number>; bytesSent: Record<string, number> }>;
  checks: string[];
  failures: unknown[];
}

/** Why this build of cairn cannot open sftp repositories, or undefined when it can. */
function noSftpInCairn(): string | undefined {
  const probe = spawnSync(process.execPath, [CLI, 'snapshots', '-r', 'sftp:nobody@127.0.0.1:/nowhere'], { encoding: 'utf8', env: { ...process.env, CAIRN_RETRY_ATTEMPTS: '1' }, timeout: 30_000 });
  return /not supported by this build/.test(probe.stderr) ? 'this build of cairn has no sftp backend' : undefined;
}

/** Runs the bench on the small corpus against `kinds` and checks every cairn target produced its numbers. */
async function runRemote(kinds: string[], tools: string[]): Promise<RemoteJson> {
  const work = await tempDir();
  const json = join(work, 'out.json');
  const run = await bench(['--small', '--repo-url', kinds.join(','), '--tools', tools.join(','), '--reps', '1', '--work', work, '--json', json, '--no-install']);
  expect(run.stderr).not.toContain('FAILED');
  expect(run.code).toBe(0);
  const out = JSON.parse(readFileSync(json, 'utf8')) as RemoteJson;
  for (const tool of tools) {
    for (const kind of [...(tool === 'cairn' ? ['local', 'plain'] : ['local']), ...kinds]) {
      const row = tableRow(run.stdout, `${tool} ${kind}`);
      expect(row, `${tool} ${kind}`).toBeDefined();
      expect(row!.slice(1, 4), `${tool} ${kind}`).toEqual([expect.stringMatching(seconds), expect.stringMatching(seconds), expect.stringMatching(seconds)]);
      expect(out.samples.filter((s) => s.tool === tool && s.kind === kind).map((s) => s.phase)).toEqual(['first', 'noop', 'noop-cold']);
      if (kind !== 'local' && kind !== 'plain') expect(Number(row![4]), `${tool} ${kind} first / local`).toBeGreaterThan(0);
    }
  }
  for (const kind of kinds) {
    // Counted on the server: the cold no-op reads the index and trees; the warm one little beyond the lock and the snapshot list.
    const row = tableRow(run.stdout, `cairn ${kind}`)!;
    expect(row.slice(6), `cairn ${kind}`).toEqual([expect.stringMatching(bytes), expect.stringMatching(bytes), expect.stringMatching(bytes)]);
    const sent = out.medians[`cairn ${kind}`]!.bytesSent;
    expect(sent['noop-cold']).toBeGreaterThan(sent.noop!);
    expect(sent.noop).toBeGreaterThan(0);
    expect(out.checks.find((line) => line.startsWith(`cairn ${kind}:`))).toMatch(/first backup \d+\.\d+× local .*: (met|MISSED)\); no-op downloaded .* \(target < 1 MB: (met|MISSED)\)/);
  }
  if (tools.includes('cairn')) expect(out.checks[0]).toMatch(/^encryption: cairn local \(with a password\) first backup \d+\.\d+× cairn plain \(none\) \(target < 1\.1×: (met|MISSED)\)$/);
  expect(out.failures).toEqual([]);
  expect(out.samples.every((s) => s.userSeconds! > 0 && s.systemSeconds! >= 0)).toBe(true);
  expect(readdirSync(work).filter((name) => name.startsWith('run-'))).toEqual([]);
  return out;
}

describe('cairn-bench --repo-url', () => {
  it('measures first and no-op backups to cairn serve beside a local folder, with the bytes the server sent', async () => {
    await runRemote(['rest'], ['cairn', ...(findExecutable('restic') !== undefined && findExecutable('rclone') !== undefined ? ['restic'] : [])]);
  });

  const noSftp = sshdUnavailable() ?? noSftpInCairn();
  it.skipIf(noSftp !== undefined)(`measures cairn and restic against a real sshd${noSftp === undefined ? '' : ` (skipped: ${noSftp})`}`, async () => {
    await runRemote(['sftp'], ['cairn', ...(findExecutable('restic') !== undefined ? ['restic'] : [])]);
  });

  it.skipIf(sshdUnavailable() !== undefined || findExecutable('restic') === undefined)('measures restic alone against the sshd, with the bytes sftp-server sent', async () => {
    const work = await tempDir();
    const json = join(work, 'out.json');
    const run = await bench(['--small', '--repo-url', 'sftp', '--tools', 'restic', '--reps', '1', '--work', work, '--json', json, '--no-install']);
    expect(run.code).toBe(0);
    const out = JSON.parse(readFileSync(json, 'utf8')) as RemoteJson;
    expect(out.medians['restic sftp']!.bytesSent['noop-cold']).toBeGreaterThan(0);
    expect(tableRow(run.stdout, 'restic sftp')!.slice(6)).toEqual([expect.stringMatching(bytes), expect.stringMatching(bytes), expect.stringMatching(bytes)]);
  });

  it('measures cairn against s3rver (restic left out: it cannot back up to s3rver)', async () => {
    const out = await runRemote(['s3'], ['cairn']);
    expect(out.medians['cairn s3']!.bytesSent.noop).toBeLessThan(1_000_000);
  });

  it('rejects an unknown kind of server', async () => {
    const work = await tempDir();
    const run = await bench(['--repo-url', 'rest,ftp', '--work', work, '--no-install']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/"ftp" is not a kind of server the bench starts: choose from rest, sftp, s3/);
  });
});
