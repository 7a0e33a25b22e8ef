import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { findExecutable } from './find-executable.js';
import type { ToolName } from './tools.js';

/** The tools that can run, and those left out with the reason. */
export interface ToolCheck {
  readonly executables: ReadonlyMap<ToolName, string>;
  readonly missing: readonly { readonly tool: ToolName; readonly reason: string }[];
  /** GNU time, for peak RSS; undefined when it is missing (RSS is then not measured). */
  readonly timeBinary: string | undefined;
  readonly notes: readonly string[];
}

/** Options of ensureTools. */
export interface EnsureOptions {
  /** The built cairn CLI (apps/cli/dist/cairn.js, the bundle). */
  readonly cairnCli: string;
  /** Run apt-get for what is missing (default true). */
  readonly install: boolean;
  /** Progress lines (what is being installed). */
  readonly log: (line: string) => void;
}

const PACKAGES: Readonly<Record<string, string>> = { restic: 'restic', borg: 'borgbackup', time: 'time' };
const TIME = '/usr/bin/time';

/**
 * Finds the tools of `wanted` and GNU time; installs what is missing with
 * `apt-get update && apt-get install -y …` (one call for all) unless `install` is false.
 * A tool still missing afterwards is reported in `missing`, never thrown.
 */
export function ensureTools(wanted: readonly ToolName[], options: EnsureOptions): ToolCheck {
  const notes: string[] = [];
  const find = (name: string): string | undefined => (name === 'time' ? (existsSync(TIME) ? TIME : undefined) : findExecutable(name));
  const needed = [...wanted.filter((tool) => tool !== 'cairn'), 'time'].filter((name) => find(name) === undefined);
  let installError: string | undefined;
  if (needed.length > 0 && options.install) {
    const packages = needed.map((name) => PACKAGES[name]!);
    options.log(`installing ${packages.join(', ')} with apt-get`);
    installError = aptInstall(packages);
    if (installError !== undefined) notes.push(`apt-get install ${packages.join(' ')} failed: ${installError}`);
  }
  const executables = new Map<ToolName, string>();
  const missing: { tool: ToolName; reason: string }[] = [];
  for (const tool of wanted) {
    if (tool === 'cairn') {
      if (existsSync(options.cairnCli)) executables.set(tool, options.cairnCli);
      else missing.push({ tool, reason: `${options.cairnCli} does not exist: build it first (npx --yes pnpm@10 run build)` });
      continue;
    }
    const found = find(tool);
    if (found !== undefined) executables.set(tool, found);
    else {
      const why = options.install ? (installError ?? 'apt-get did not provide it') : 'installing is turned off (--no-install)';
      missing.push({ tool, reason: `${tool} is not on PATH and could not be installed: ${why}` });
    }
  }
  const timeBinary = find('time');
  if (timeBinary === undefined) notes.push(`${TIME} (Debian package "time") is missing: peak RSS is not measured`);
  return { executables, missing, timeBinary, notes };
}

/** Runs apt-get update and install; returns why it failed, or undefined. */
function aptInstall(packages: readonly string[]): string | undefined {
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [['update', '-qq'], ['install', '-y', '-qq', ...packages]]) {
    const result = spawnSync('apt-get', args, { env, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
    if (result.error !== undefined) return result.error.message;
    if (result.status !== 0) return `apt-get ${args[0]!} exited with ${String(result.status)}: ${result.stderr.trim().split('\n').slice(-2).join(' ')}`;
  }
  return undefined;
}
