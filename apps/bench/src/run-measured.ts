import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';

/** A command to run: the executable, its arguments, and where and with what environment. */
export interface CommandSpec {
  readonly file: string;
  readonly args: readonly string[];
  readonly env: NodeJS.ProcessEnv;
  readonly cwd?: string;
}

/** What one measured process did. */
export interface Measured {
  readonly code: number | null;
  /** Wall time from spawn to exit. */
  readonly seconds: number;
  /** Peak resident set size (bytes), when GNU time was there to measure it. */
  readonly peakRss: number | undefined;
  /** CPU seconds in user mode (GNU time's %U), when GNU time was there to measure it. */
  readonly userSeconds: number | undefined;
  /** CPU seconds in the kernel on its behalf (GNU time's %S), when GNU time was there to measure it. */
  readonly systemSeconds: number | undefined;
  /** The end of its stdout and stderr (up to 64 KB each). */
  readonly stdout: string;
  readonly stderr: string;
}

const KEEP = 64 * 1024;

/** What GNU time measured of one process. */
export interface TimeStats {
  readonly peakRss: number;
  readonly userSeconds: number;
  readonly systemSeconds: number;
}

/** GNU time's line for `-f '%e %M %U %S'`: elapsed seconds, peak RSS in KiB, user and system seconds. */
const STATS_LINE = /^([\d.]+) (\d+) ([\d.]+) ([\d.]+)$/;

/**
 * Reads what GNU time wrote with `-f '%e %M %U %S'`: the last line of that shape, since
 * "Command exited with non-zero status N" or "Command terminated by signal N" comes
 * before it. Undefined when there is no such line.
 */
export function parseTimeStats(text: string): TimeStats | undefined {
  const lines = text.split('\n').map((line) => line.trim());
  for (let i = lines.length - 1; i >= 0; i -= 1) {
    const match = STATS_LINE.exec(lines[i]!);
    if (match !== null) return { peakRss: Number(match[2]) * 1024, userSeconds: Number(match[3]), systemSeconds: Number(match[4]) };
  }
  return undefined;
}

/**
 * Runs `command` to its end and measures its wall time and, through GNU time
 * (`timeBinary`, e.g. /usr/bin/time), its peak RSS and user and system CPU time:
 * `time -f '%e %M %U %S' -o statsFile`.
 * Never throws for a non-zero exit; a command that cannot start gives code null.
 */
export async function runMeasured(command: CommandSpec, timeBinary: string | undefined, statsFile: string): Promise<Measured> {
  if (stopping) return { code: null, seconds: 0, peakRss: undefined, userSeconds: undefined, systemSeconds: undefined, stdout: '', stderr: 'not started: the bench is stopping\n' };
  const [file, args] =
    timeBinary === undefined ? [command.file, command.args] : [timeBinary, ['-f', '%e %M %U %S', '-o', statsFile, command.file, ...command.args]];
  const started = performance.now();
  const result = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(file, args, { env: command.env, cwd: command.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const closed = new Promise<void>((done) => child.on('close', () => done()).on('error', () => done()));
    running.set(child, closed);
    void closed.then(() => running.delete(child));
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout = (stdout + d.toString()).slice(-KEEP)));
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-KEEP)));
    child.on('error', (error) => resolve({ code: null, stdout, stderr: `${stderr}${error.message}\n` }));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
  const seconds = (performance.now() - started) / 1000;
  let stats: TimeStats | undefined;
  if (timeBinary !== undefined) {
    stats = parseTimeStats(await readFile(statsFile, 'utf8').catch(() => ''));
    await rm(statsFile, { force: true });
  }
  return { ...result, seconds, peakRss: stats?.peakRss, userSeconds: stats?.userSeconds, systemSeconds: stats?.systemSeconds };
}

/** The measured commands still running, each with the promise of its end. */
const running = new Map<ChildProcess, Promise<void>>();
let stopping = false;

/**
 * Kills every measured command still running, with the processes it started (GNU time
 * does not pass signals on), and resolves when they have ended; later runMeasured calls
 * start nothing. For a bench that is interrupted and must clean up after its tools.
 */
export async function stopMeasured(): Promise<void> {
  stopping = true;
  const killed: number[] = [];
  for (const child of running.keys()) {
    if (child.pid === undefined) continue;
    for (const pid of [...descendants(child.pid), child.pid]) {
      try {
        process.kill(pid, 'SIGKILL');
        killed.push(pid);
      } catch {
        // Already gone.
      }
    }
  }
  await Promise.all(running.values());
  // A killed process closes its files before it is dead: the pipes can close, and the
  // measured command end, while a tool below it is still exiting. Wait for those too.
  const deadline = performance.now() + STOP_WAIT_MS;
  while (killed.some(stillRunning) && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
}

/** How long stopMeasured waits for killed tools to finish dying. */
const STOP_WAIT_MS = 5000;

/** Whether process `pid` still runs: it exists and is not a zombie waiting to be reaped (Linux /proc). */
function stillRunning(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) [ZX]/s.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** The processes below `pid`, deepest last (Linux /proc; none where it cannot be read). */
function descendants(pid: number): number[] {
  const out: number[] = [];
  let tasks: string[] = [];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const task of tasks) {
    let children = '';
    try {
      children = readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8');
    } catch {
      continue;
    }
    for (const child of children.split(' ').filter((word) => word.trim() !== '').map(Number)) out.push(child, ...descendants(child));
  }
  return out;
}
