/**
 * Where the daemon keeps what it knows between runs: state.json (each job's record: last run,
 * last success, failures since) and daemon.log (one JSON line per operation), in
 * $XDG_STATE_HOME/cairn (~/.local/state/cairn) or --state-dir.
 */
import { appendFile, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { CairnError } from '@cairn/core';
import type { PlanRecord } from '@cairn/schedule';

/** The daemon's state folder: --state-dir, else $XDG_STATE_HOME/cairn, else ~/.local/state/cairn. */
export function stateDir(given?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (given !== undefined && given !== '') return given;
  const base = env['XDG_STATE_HOME'] !== undefined && isAbsolute(env['XDG_STATE_HOME']) ? env['XDG_STATE_HOME'] : join(homedir(), '.local', 'state');
  return join(base, 'cairn');
}

/** The records of every job, by job name ("home", "home:check"). */
export type DaemonState = Record<string, PlanRecord>;

/** The saved state; {} when there is none yet; ERR_FORMAT naming the file when it is damaged. */
export async function readState(dir: string): Promise<DaemonState> {
  const file = join(dir, 'state.json');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ENOENT') return {};
    throw error;
  }
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('not an object');
    return (value as { jobs?: DaemonState }).jobs ?? {};
  } catch (error) {
    throw new CairnError('ERR_FORMAT', `${file}: not a daemon state file (${(error as Error).message})`, { hint: 'move it away; the daemon starts a new one (the plans run as if for the first time)' });
  }
}

/** Saves the state (a temporary file renamed over the old one). */
export async function writeState(dir: string, state: DaemonState): Promise<void> {
  await mkdir(dir, { recursive: true });
  const file = join(dir, 'state.json');
  await writeFile(`${file}.tmp`, `${JSON.stringify({ version: 1, jobs: state }, null, 2)}\n`);
  await rename(`${file}.tmp`, file);
}

/** Appends one JSON line to the daemon's log. */
export async function appendLog(file: string, entry: Record<string, unknown>): Promise<void> {
  await appendFile(file, `${JSON.stringify(entry)}\n`);
}

/**
 * Claims the state folder for this process (daemon.pid, created exclusively), so two daemons or
 * watches never run the same plans at once nor write over each other's records; a pid file left
 * by a process that is gone is taken over. ERR_LOCKED naming the other process otherwise.
 * Returns the function that releases it.
 */
export async function claimStateDir(dir: string): Promise<() => Promise<void>> {
  await mkdir(dir, { recursive: true });
  const file = join(dir, 'daemon.pid');
  for (let attempt = 0; ; attempt += 1) {
    try {
      await writeFile(file, `${process.pid}\n`, { flag: 'wx' });
      return () => rm(file, { force: true });
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'EEXIST' || attempt > 0) throw error;
    }
    const pid = Number((await readFile(file, 'utf8').catch(() => '')).trim());
    if (Number.isInteger(pid) && pid > 0 && alive(pid)) {
      throw new CairnError('ERR_LOCKED', `another cairn daemon or watch (pid ${pid}) runs the plans of the state folder ${dir}`, {
        hint: 'stop it first, or give this one its own --state-dir',
      });
    }
    await rm(file, { force: true }); // left by a process that is gone
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as { code?: unknown }).code === 'EPERM';
  }
}
