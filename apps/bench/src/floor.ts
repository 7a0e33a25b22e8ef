import { spawnSync } from 'node:child_process';
import { mkdir, rm } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CairnError } from '@cairn/core';
import { findExecutable } from './find-executable.js';
import { parseWalkCount, WALK_MJS } from './floor-walk.js';
import type { CompiledWalk, WalkCount } from './floor-walk.js';
import { warmPageCache } from './page-cache.js';
import { runMeasured } from './run-measured.js';
import type { CommandSpec } from './run-measured.js';

/** What a floor row stands for: the least a restore, a no-op backup or a first backup can cost, or Node's own memory. */
export type FloorGroup = 'restore' | 'noop' | 'first' | 'memory';

/** One row of the floor table. */
export interface FloorRow {
  readonly key: string;
  readonly label: string;
  readonly group: FloorGroup;
  /** The row runs walk.c or walk.mjs, which print the entries they counted. */
  readonly walk?: 'c' | 'node';
  /** The row measures a no-op backup of a repository the run made of the corpus (its floor in Node, cairn, restic). */
  readonly noop?: 'node' | 'cairn' | 'restic';
}

/** The rows of the floor table, in the order they run in every repetition. */
export const FLOOR_ROWS: readonly FloorRow[] = [
  { key: 'cp', label: 'restore floor: cp -a', group: 'restore' },
  { key: 'tar', label: 'restore floor: tar -c → tar -xp', group: 'restore' },
  { key: 'node-restore', label: "restore floor: Node, read + zstd -d on a thread + write (cairn's zstd, 1 MiB frames, no engine)", group: 'restore' },
  { key: 'c-walk-xattr', label: 'no-op floor: C walk, fstatat + llistxattr', group: 'noop', walk: 'c' },
  { key: 'c-walk', label: 'no-op floor: C walk, fstatat', group: 'noop', walk: 'c' },
  { key: 'c-walk-proc-xattr', label: "no-op floor: C walk, lstat + llistxattr through /proc/PID/fd (cairn's calls)", group: 'noop', walk: 'c' },
  { key: 'c-walk-proc', label: "no-op floor: C walk, lstat through /proc/PID/fd (cairn's calls)", group: 'noop', walk: 'c' },
  { key: 'node-walk', label: 'no-op floor: Node walk, readdirSync + lstatSync', group: 'noop', walk: 'node' },
  { key: 'node-noop', label: "no-op floor: Node, the repository and the parent's trees read (cairn's readers) + cairn's native listing + the comparison, no walker", group: 'noop', noop: 'node' },
  { key: 'cairn-noop', label: 'no-op: cairn backup --no-policy --vcs off, the same repository (beside its floor)', group: 'noop', noop: 'cairn' },
  { key: 'restic-noop', label: 'no-op: restic backup, a repository of the same corpus (beside the floor)', group: 'noop', noop: 'restic' },
  { key: 'tar-zstd', label: 'first-backup floor: tar -c → zstd -3 -T0', group: 'first' },
  { key: 'tar-sha256', label: 'first-backup floor: tar -c → sha256sum', group: 'first' },
  { key: 'c-walk-read', label: 'first-backup floor: C walk + read()', group: 'first', walk: 'c' },
  { key: 'node-pipeline', label: "first-backup floor: Node, walk + read + chunk + SHA-256 + zstd -3 on a thread per core (cairn's chunker and zstd, no engine)", group: 'first' },
  { key: 'node-pipeline-packs', label: "first-backup floor: the same + each entry's attribute list + the frames written to 16 MiB pack files (SHA-256, fsync) in the target", group: 'first' },
  { key: 'node', label: "memory floor: node -e ''", group: 'memory' },
  { key: 'node-worker', label: 'memory floor: node + 1 idle Worker', group: 'memory' },
  { key: 'cairn-help', label: 'memory floor: cairn --help', group: 'memory' },
];

/** One measured run of one row. */
export interface FloorSample {
  readonly rep: number;
  readonly row: string;
  readonly seconds: number;
  readonly peakRss: number | undefined;
  readonly userSeconds: number | undefined;
  readonly systemSeconds: number | undefined;
  /** What a walk row counted. */
  readonly count?: WalkCount;
  /** What the Node pipeline row read and made. */
  readonly pipeline?: PipelineCount;
  /** What the Node restore row wrote. */
  readonly restored?: RestoredCount;
  /** What the Node no-op floor compared. */
  readonly noop?: NoopCount;
}

/** The Node no-op floor's line: "folders F entries E unchanged U changed C loaded L". */
export interface NoopCount {
  readonly folders: number;
  readonly entries: number;
  readonly unchanged: number;
  readonly changed: number;
  /** Milliseconds from the process's start to the script's first line: node's start-up and the loading of cairn's packages. */
  readonly loadedMs: number;
}

/** The no-op floor in Node: apps/bench/floor/noop.mjs. */
export const NOOP_MJS = fileURLToPath(new URL('../floor/noop.mjs', import.meta.url));

/** Reads the line noop.mjs prints; undefined when there is none. */
export function parseNoopCount(stdout: string): NoopCount | undefined {
  const match = /^folders (\d+) entries (\d+) unchanged (\d+) changed (\d+) loaded (\d+)$/m.exec(stdout);
  if (match === null) return undefined;
  return { folders: Number(match[1]), entries: Number(match[2]), unchanged: Number(match[3]), changed: Number(match[4]), loadedMs: Number(match[5]) };
}

/**
 * cairn's and restic's exit code for a backup that made its snapshot without some files it could
 * not read: their no-op rows, and the backups that make those rows' repositories, count it as done
 * (the walks count such files as errors alike).
 */
const PARTIAL = 3;

/** restic's password for the no-op rows' repository (a scratch repository, removed with the run). */
const RESTIC_PASSWORD = 'cairn-bench-floor';

/** The Node restore's line: "files F folders D bytes B". */
export interface RestoredCount {
  readonly files: number;
  readonly folders: number;
  readonly bytes: number;
}

/** A restore's data path in plain Node: apps/bench/floor/restore-pipeline.mjs. */
export const RESTORE_MJS = fileURLToPath(new URL('../floor/restore-pipeline.mjs', import.meta.url));

/** Reads the line restore-pipeline.mjs prints; undefined when there is none. */
export function parseRestoredCount(stdout: string): RestoredCount | undefined {
  const match = /^files (\d+) folders (\d+) bytes (\d+)$/m.exec(stdout);
  if (match === null) return undefined;
  return { files: Number(match[1]), folders: Number(match[2]), bytes: Number(match[3]) };
}

/** The Node pipeline's line: "files F bytes B chunks C compressed Z", and " packs P attributes A" when it wrote packs. */
export interface PipelineCount {
  readonly files: number;
  readonly bytes: number;
  readonly chunks: number;
  readonly compressed: number;
  readonly packs?: number;
  readonly attributes?: number;
}

/** The first-backup data path in plain Node: apps/bench/floor/pipeline.mjs. */
export const PIPELINE_MJS = fileURLToPath(new URL('../floor/pipeline.mjs', import.meta.url));

/** Reads the line pipeline.mjs prints; undefined when there is none. */
export function parsePipelineCount(stdout: string): PipelineCount | undefined {
  const match = /^files (\d+) bytes (\d+) chunks (\d+) compressed (\d+)(?: packs (\d+) attributes (\d+))?$/m.exec(stdout);
  if (match === null) return undefined;
  const counts = { files: Number(match[1]), bytes: Number(match[2]), chunks: Number(match[3]), compressed: Number(match[4]) };
  return match[5] === undefined ? counts : { ...counts, packs: Number(match[5]), attributes: Number(match[6]) };
}

/** What runFloor needs. */
export interface FloorOptions {
  /** The folder every row reads (left untouched). */
  readonly corpus: string;
  /** Where the restore floors write their copies (removed after each run). */
  readonly targetDir: string;
  /** Scratch space: GNU time's output. */
  readonly runDir: string;
  readonly reps: number;
  /** GNU time, for CPU time and peak RSS; undefined: only wall time. */
  readonly timeBinary: string | undefined;
  readonly walk: CompiledWalk;
  /** The built cairn CLI; undefined when it is missing (its rows are skipped: its --help, and the no-op rows, whose repository it makes). */
  readonly cairnCli: string | undefined;
  readonly log: (line: string) => void;
}

/** Everything measured. */
export interface FloorResult {
  readonly samples: readonly FloorSample[];
  /** Rows that did not run, with the reason. */
  readonly skipped: readonly { readonly row: string; readonly reason: string }[];
  /** The entries below the corpus, as every walk counted them; undefined when no walk ran. */
  readonly entries: number | undefined;
  /** Why the walks' counts disagree (they must not), or undefined. */
  readonly mismatch: string | undefined;
}

/** A Worker that starts, says it is up and is terminated: what one more thread costs. */
const WORKER_SCRIPT =
  "const { Worker } = require('node:worker_threads');" +
  "const w = new Worker(\"require('node:worker_threads').parentPort.postMessage('up')\", { eval: true });" +
  "w.once('message', () => void w.terminate());";

/**
 * Runs every row `reps` times (rows in order within a repetition, the page cache warmed
 * with the corpus before each) under GNU time. Throws CairnError ERR_IO when a command
 * exits with an error.
 */
export async function runFloor(options: FloorOptions): Promise<FloorResult> {
  if (!Number.isInteger(options.reps) || options.reps < 1) throw new RangeError(`reps must be an integer >= 1, not ${String(options.reps)}`);
  const shell = findExecutable('bash');
  const tools = new Map(['cp', 'tar', 'zstd', 'sha256sum'].map((name) => [name, findExecutable(name)]));
  const pipeline = (script: string, target = ''): CommandSpec =>
    shell === undefined
      ? { file: 'sh', args: ['-c', script, 'sh', options.corpus, target], env: process.env }
      : { file: shell, args: ['-c', `set -o pipefail; ${script}`, 'bash', options.corpus, target], env: process.env };
  const node = (args: readonly string[]): CommandSpec => ({ file: process.execPath, args, env: process.env });
  const walkC = (flags: readonly string[]): CommandSpec | string =>
    options.walk.executable === undefined ? options.walk.reason : { file: options.walk.executable, args: [...flags, options.corpus], env: process.env };
  const needs = (names: readonly string[], make: () => CommandSpec): CommandSpec | string => {
    const missing = names.filter((name) => tools.get(name) === undefined);
    return missing.length === 0 ? make() : `${missing.join(' and ')} not on PATH`;
  };
  const commands = (row: FloorRow, target: string): CommandSpec | string => {
    switch (row.key) {
      case 'cp': return needs(['cp'], () => ({ file: tools.get('cp')!, args: ['-a', options.corpus, target], env: process.env }));
      case 'tar': return needs(['tar'], () => pipeline('tar -C "$1" -cf - . | tar -C "$2" -xpf -', target));
      case 'node-restore': return node([RESTORE_MJS, 'restore', store, target]);
      case 'c-walk-xattr': return walkC(['-x']);
      case 'c-walk': return walkC([]);
      case 'c-walk-proc-xattr': return walkC(['-p', '-x']);
      case 'c-walk-proc': return walkC(['-p']);
      case 'node-walk': return node([WALK_MJS, options.corpus]);
      case 'node-noop': return typeof noopRepos.cairn === 'string' ? node([NOOP_MJS, noopRepos.cairn, options.corpus]) : noopRepos.cairn.reason;
      case 'cairn-noop': return typeof noopRepos.cairn === 'string' ? node([options.cairnCli!, 'backup', '-q', '--no-policy', '--vcs', 'off', '--repo', noopRepos.cairn, options.corpus]) : noopRepos.cairn.reason;
      case 'restic-noop': return typeof noopRepos.restic === 'string' ? restic(['--repo', noopRepos.restic, 'backup', '-q', options.corpus]) : noopRepos.restic.reason;
      case 'tar-zstd': return needs(['tar', 'zstd'], () => pipeline('tar -C "$1" -cf - . | zstd -3 -T0 -q > /dev/null'));
      case 'tar-sha256': return needs(['tar', 'sha256sum'], () => pipeline('tar -C "$1" -cf - . | sha256sum > /dev/null'));
      case 'c-walk-read': return walkC(['-r']);
      case 'node-pipeline': return node([PIPELINE_MJS, options.corpus, String(availableParallelism())]);
      case 'node-pipeline-packs': return node([PIPELINE_MJS, options.corpus, String(availableParallelism()), target]);
      case 'node': return node(['-e', '']);
      case 'node-worker': return node(['-e', WORKER_SCRIPT]);
      case 'cairn-help': return options.cairnCli === undefined ? 'the cairn CLI is not built' : node([options.cairnCli, '--help']);
      default: throw new RangeError(`no command for the floor row ${row.key}`);
    }
  };
  const resticBinary = findExecutable('restic');
  const restic = (args: readonly string[]): CommandSpec => ({ file: resticBinary!, args: [...args], env: { ...process.env, RESTIC_PASSWORD, RESTIC_CACHE_DIR: join(options.runDir, 'restic-cache') } });
  const samples: FloorSample[] = [];
  const skipped = new Map<string, string>();
  await mkdir(options.targetDir, { recursive: true });
  // The no-op rows' repositories of the corpus, made once, untimed (a repository path, or why there is none).
  const noopRepos: { cairn: string | { reason: string }; restic: string | { reason: string } } = { cairn: { reason: 'the cairn CLI is not built' }, restic: { reason: 'restic not on PATH' } };
  // The Node restore reads the corpus as it stores it (its frames and a manifest), made once, untimed.
  const store = join(options.targetDir, 'node-restore-store');
  try {
    const prepared = await runMeasured(node([RESTORE_MJS, 'prepare', options.corpus, store]), undefined, join(options.runDir, 'time-stats'));
    if (prepared.code !== 0) throw new CairnError('ERR_IO', `the Node restore floor could not store the corpus ${options.corpus} in ${store} (exit code ${String(prepared.code)}): ${prepared.stderr.trim().slice(-400)}`);
    if (options.cairnCli !== undefined) {
      const repo = join(options.targetDir, 'noop-cairn');
      noopRepos.cairn = await prepareNoopRepository(repo, options.runDir, [
        ['cairn init', node([options.cairnCli, 'init', '--repo', repo])],
        ['cairn backup', node([options.cairnCli, 'backup', '-q', '--no-policy', '--vcs', 'off', '--repo', repo, options.corpus])],
      ]);
    }
    if (resticBinary !== undefined) {
      const repo = join(options.targetDir, 'noop-restic');
      noopRepos.restic = await prepareNoopRepository(repo, options.runDir, [
        ['restic init', restic(['--repo', repo, 'init'])],
        ['restic backup', restic(['--repo', repo, 'backup', '-q', options.corpus])],
      ]);
    }
    for (let rep = 1; rep <= options.reps; rep += 1) {
      await warmPageCache(options.corpus);
      for (const row of FLOOR_ROWS) {
        const target = join(options.targetDir, `${row.key}-${rep}`);
        const command = commands(row, target);
        if (typeof command === 'string') {
          skipped.set(row.key, command);
          continue;
        }
        try {
          if (row.key === 'tar') await mkdir(target);
          const run = await runMeasured(command, options.timeBinary, join(options.runDir, 'time-stats'));
          if (run.code !== 0 && !(row.noop !== undefined && row.noop !== 'node' && run.code === PARTIAL)) {
            const tail = run.stderr.trim().split('\n').slice(-6).join('\n') || run.stdout.trim().split('\n').slice(-6).join('\n');
            throw new CairnError('ERR_IO', `${row.label} failed (exit code ${String(run.code)}): ${tail}`);
          }
          let count: WalkCount | undefined;
          if (row.walk !== undefined) {
            count = parseWalkCount(run.stdout);
            if (count === undefined) throw new CairnError('ERR_FORMAT', `${row.label} printed no "entries N errors E …" line: ${run.stdout.trim().slice(-200)}`);
          }
          let pipeline: PipelineCount | undefined;
          if (row.key === 'node-pipeline' || row.key === 'node-pipeline-packs') {
            pipeline = parsePipelineCount(run.stdout);
            if (pipeline === undefined) throw new CairnError('ERR_FORMAT', `${row.label} printed no "files F bytes B chunks C compressed Z" line: ${run.stdout.trim().slice(-200)}`);
          }
          let restored: RestoredCount | undefined;
          if (row.key === 'node-restore') {
            restored = parseRestoredCount(run.stdout);
            if (restored === undefined) throw new CairnError('ERR_FORMAT', `${row.label} printed no "files F folders D bytes B" line: ${run.stdout.trim().slice(-200)}`);
          }
          let noop: NoopCount | undefined;
          if (row.noop === 'node') {
            noop = parseNoopCount(run.stdout);
            if (noop === undefined) throw new CairnError('ERR_FORMAT', `${row.label} printed no "folders F entries E unchanged U changed C loaded L" line: ${run.stdout.trim().slice(-200)}`);
          }
          samples.push({ rep, row: row.key, seconds: run.seconds, peakRss: run.peakRss, userSeconds: run.userSeconds, systemSeconds: run.systemSeconds, ...(count === undefined ? {} : { count }), ...(pipeline === undefined ? {} : { pipeline }), ...(restored === undefined ? {} : { restored }), ...(noop === undefined ? {} : { noop }) });
          options.log(`rep ${rep}: ${row.label} ${run.seconds.toFixed(3)} s${count === undefined ? '' : `, ${count.entries} entries`}`);
        } finally {
          if (row.group === 'restore' || row.key === 'node-pipeline-packs') await rm(target, { recursive: true, force: true, maxRetries: 3 });
        }
      }
    }
  } finally {
    await rm(store, { recursive: true, force: true });
    for (const repo of [noopRepos.cairn, noopRepos.restic]) if (typeof repo === 'string') await rm(repo, { recursive: true, force: true, maxRetries: 3 });
  }
  const counted = samples.filter((sample) => sample.count !== undefined);
  return { samples, skipped: [...skipped].map(([row, reason]) => ({ row, reason })), entries: counted[0]?.count?.entries, mismatch: walkMismatch(samples) };
}

/**
 * Runs `commands` (a repository's init, then a backup of the corpus into it, each named) untimed:
 * the repository's path, or why there is none (the no-op rows are then skipped with it).
 */
async function prepareNoopRepository(repo: string, runDir: string, commands: readonly (readonly [string, CommandSpec])[]): Promise<string | { reason: string }> {
  for (const [what, command] of commands) {
    const run = await runMeasured(command, undefined, join(runDir, 'time-stats'));
    if (run.code !== 0 && run.code !== PARTIAL) {
      await rm(repo, { recursive: true, force: true });
      const tail = (run.stderr.trim() || run.stdout.trim()).split('\n').slice(-2).join(' | ');
      return { reason: `${what} of the corpus into ${repo} exited ${String(run.code)}: ${tail}` };
    }
  }
  return repo;
}

/** Why the walks' entry counts disagree (every walk of one corpus must count the same entries), or undefined when they agree. */
export function walkMismatch(samples: readonly FloorSample[]): string | undefined {
  const counted = samples.filter((sample) => sample.count !== undefined);
  const first = counted[0];
  const odd = counted.find((sample) => sample.count!.entries !== first!.count!.entries);
  if (first === undefined || odd === undefined) return undefined;
  const label = (key: string): string => FLOOR_ROWS.find((row) => row.key === key)?.label ?? key;
  return `the walks disagree: ${label(first.row)} counted ${first.count!.entries} entries in rep ${first.rep}, ${label(odd.row)} ${odd.count!.entries} in rep ${odd.rep}`;
}

/** The first line of `<name> --version` for each tool the floor runs that is on PATH: "tar (GNU tar) 1.34". */
export function floorToolVersions(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of ['cp', 'tar', 'zstd', 'sha256sum']) {
    const file = findExecutable(name);
    if (file === undefined) continue;
    const result = spawnSync(file, ['--version'], { encoding: 'utf8' });
    out[name] = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim().split('\n')[0]?.replace(/^\*+\s*|\s*\*+$/g, '') ?? 'unknown';
  }
  return out;
}
