import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The built bench (the test command builds it, and the CLI it runs, before the tests). */
export const BENCH = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'main.js');
/** The built cairn CLI the bench runs. */
export const CLI = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'cli', 'dist', 'main.js');

/** What a bench process did. */
export interface BenchRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `node apps/bench/dist/main.js args…` to its end. */
export function bench(args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<BenchRun> {
  if (!existsSync(BENCH) || !existsSync(CLI)) throw new Error(`build first (npx --yes pnpm@10 run build): ${existsSync(BENCH) ? CLI : BENCH} is missing`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BENCH, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The cells of the table row that starts with `label`, trimmed (label first). */
export function tableRow(stdout: string, label: string): string[] | undefined {
  const line = stdout.split('\n').find((l) => l.startsWith(`| ${label} `));
  return line?.split('|').slice(1, -1).map((cell) => cell.trim());
}
