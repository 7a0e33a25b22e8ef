import { spawn } from 'node:child_process';
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
  /** The end of its stdout and stderr (up to 64 KB each). */
  readonly stdout: string;
  readonly stderr: string;
}

const KEEP = 64 * 1024;

/**
 * Runs `command` to its end and measures its wall time and, through GNU time
 * (`timeBinary`, e.g. /usr/bin/time), its peak RSS: `time -f '%e %M' -o statsFile`.
 * Never throws for a non-zero exit; a command that cannot start gives code null.
 */
export async function runMeasured(command: CommandSpec, timeBinary: string | undefined, statsFile: string): Promise<Measured> {
  const [file, args] =
    timeBinary === undefined ? [command.file, command.args] : [timeBinary, ['-f', '%e %M', '-o', statsFile, command.file, ...command.args]];
  const started = performance.now();
  const result = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(file, args, { env: command.env, cwd: command.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout = (stdout + d.toString()).slice(-KEEP)));
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-KEEP)));
    child.on('error', (error) => resolve({ code: null, stdout, stderr: `${stderr}${error.message}\n` }));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
  const seconds = (performance.now() - started) / 1000;
  let peakRss: number | undefined;
  if (timeBinary !== undefined) {
    const stats = await readFile(statsFile, 'utf8').catch(() => '');
    await rm(statsFile, { force: true });
    // GNU time writes "Command exited with non-zero status N" before its line on failure.
    const last = stats.trim().split('\n').pop() ?? '';
    const match = /^([\d.]+) (\d+)$/.exec(last);
    if (match !== null) peakRss = Number(match[2]) * 1024;
  }
  return { ...result, seconds, peakRss };
}
