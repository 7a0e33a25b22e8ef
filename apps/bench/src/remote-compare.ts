import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { copyTree } from './copy-tree.js';
import { CairnError } from '@cairn/core';
import { rotate } from './rotate.js';
import { runMeasured } from './run-measured.js';
import type { CommandSpec, Measured } from './run-measured.js';
import { DROP_CACHES } from './run-tool.js';
import type { RunSettings } from './run-tool.js';
import { startRemoteServer } from './remote-servers.js';
import type { RemoteKind, RemoteLocation, RemoteServer } from './remote-server.js';
import type { Failure } from './step-guard.js';
import { digestTree } from './tree-digest.js';
import type { TreeDigest } from './tree-digest.js';

/** The tools the remote bench runs: restic is the peer with remote backends. */
export type RemoteTool = 'cairn' | 'restic';

/** The measured phases: a first backup (empty cache), a no-op with that warm cache, a no-op with an empty cache. */
export type RemotePhase = 'first' | 'noop' | 'noop-cold';

/** Every phase, in the order they run. */
export const REMOTE_PHASES: readonly RemotePhase[] = ['first', 'noop', 'noop-cold'];

/** Where one tool's repository is: a local folder, or a server of one kind; `plain`: cairn to a local folder without a password (unencrypted), for the cost of encryption. */
export type TargetKind = 'local' | 'plain' | RemoteKind;

/** One tool and where its repository is. */
export interface Target {
  readonly tool: RemoteTool;
  readonly kind: TargetKind;
}

/** One measured command. */
export interface RemoteSample {
  readonly rep: number;
  readonly tool: RemoteTool;
  readonly kind: TargetKind;
  readonly phase: RemotePhase;
  readonly seconds: number;
  readonly peakRss: number | undefined;
  /** CPU seconds in user mode and in the kernel (GNU time), when measured; in the JSON only. */
  readonly userSeconds?: number | undefined;
  readonly systemSeconds?: number | undefined;
  /** Bytes the server sent to the client during the command (what it downloaded), counted on the server. */
  readonly bytesSent?: number;
}

/** What a sample keeps of one measured command. */
type Figures = Pick<Measured, 'seconds' | 'peakRss' | 'userSeconds' | 'systemSeconds'>;

/** What runRemoteComparison needs. */
export interface RemoteComparisonOptions {
  readonly source: string;
  readonly runDir: string;
  readonly name: string;
  readonly kinds: readonly RemoteKind[];
  readonly tools: readonly { readonly name: RemoteTool; readonly executable: string }[];
  readonly reps: number;
  readonly cairnArgs: readonly string[];
  readonly settings: RunSettings;
  readonly keep: boolean;
  readonly log: (line: string) => void;
}

/** Everything measured, and what served. */
export interface RemoteComparisonResult {
  readonly path: string;
  readonly corpus: Pick<TreeDigest, 'files' | 'dirs' | 'symlinks' | 'bytes' | 'hash'>;
  readonly targets: readonly Target[];
  /** Per kind: what served cairn, what served restic, and how bytes were counted. */
  readonly servers: Readonly<Partial<Record<RemoteKind, { cairn: string; restic: string; counting: string }>>>;
  readonly samples: readonly RemoteSample[];
  readonly failures: readonly Failure[];
}

/** The password both tools get (but for cairn's `plain` target): cairn encrypts with it (a repository off the machine always is), restic always encrypts. */
export const BENCH_PASSWORD = 'cairn-bench';

/**
 * Runs `reps` repetitions. Servers of every kind start once, on 127.0.0.1. Each repetition
 * backs up a fresh copy of `source` with every tool to a local folder and to each server (new
 * repositories, targets in an order rotating with each repetition): a first backup with an empty
 * cache folder, a no-op backup with the cache the first one left (as a user has), and a no-op with
 * an empty cache. The bytes each server sent during each command are counted on the server.
 */
export async function runRemoteComparison(options: RemoteComparisonOptions): Promise<RemoteComparisonResult> {
  if (!Number.isInteger(options.reps) || options.reps < 1) throw new RangeError(`reps must be an integer >= 1, not ${String(options.reps)}`);
  const path = join(options.runDir, 'data', options.name);
  const cairn = options.tools.find((t) => t.name === 'cairn');
  const started: RemoteServer[] = [];
  const servers: Partial<Record<RemoteKind, RemoteServer>> = {};
  const samples: RemoteSample[] = [];
  const failures: Failure[] = [];
  try {
    for (const kind of options.kinds) {
      const server = await startRemoteServer(kind, join(options.runDir, 'servers', kind), cairn?.executable ?? '');
      started.push(server);
      servers[kind] = server;
      options.log(`started ${server.description}`);
    }
    const runsOn = (tool: RemoteTool, kind: TargetKind): boolean =>
      kind === 'local' || (tool === 'cairn' ? true : kind !== 'plain' && servers[kind]?.resticLeftOut === undefined);
    const kinds: TargetKind[] = ['local', 'plain', ...options.kinds];
    const targets: Target[] = options.tools.flatMap((tool) => kinds.filter((kind) => runsOn(tool.name, kind)).map((kind) => ({ tool: tool.name, kind })));
    let corpus: RemoteComparisonResult['corpus'] | undefined;
    for (let rep = 1; rep <= options.reps; rep += 1) {
      const repDir = join(options.runDir, `rep-${rep}`);
      await rm(path, { recursive: true, force: true });
      await mkdir(join(options.runDir, 'data'), { recursive: true });
      await copyTree(options.source, path);
      if (corpus === undefined) {
        const { files, dirs, symlinks, bytes, hash } = await digestTree(path);
        corpus = { files, dirs, symlinks, bytes, hash };
      }
      const runs = rotate(targets, rep - 1).map((target) => {
        const executable = options.tools.find((t) => t.name === target.tool)!.executable;
        const dir = join(repDir, `${target.tool}-${target.kind}`);
        const server = target.kind === 'local' || target.kind === 'plain' ? undefined : servers[target.kind];
        const name = `rep-${rep}`;
        const location: RemoteLocation = server === undefined ? { repo: join(dir, 'repo'), args: [], env: {} } : target.tool === 'cairn' ? server.cairn(name) : server.restic(name);
        return { target, dir, server, location, commands: toolCommands(target.tool, executable, location, dir, path, options.cairnArgs, target.kind !== 'plain') };
      });
      const alive = new Set(runs);
      const step = async (run: (typeof runs)[number], what: string, command: CommandSpec): Promise<(Figures & { bytesSent: number | undefined }) | undefined> => {
        if (!alive.has(run)) return undefined;
        const label = `${run.target.tool} ${run.target.kind}`;
        try {
          const body = async () => measured(command, options.settings, join(run.dir, 'time-stats'), `${label} ${what}`);
          const { value, bytesSent } = run.server === undefined ? { value: await body(), bytesSent: undefined } : await run.server.session(run.location, body);
          return { ...value, bytesSent };
        } catch (error) {
          alive.delete(run);
          const message = error instanceof Error ? error.message : String(error);
          failures.push({ rep, tool: run.target.tool, step: `${run.target.kind} ${what}`, message });
          options.log(`rep ${rep}: ${label} ${what} FAILED: ${message}`);
          return undefined;
        }
      };
      for (const run of runs) {
        await mkdir(join(run.dir, 'home'), { recursive: true });
        await step(run, 'init', run.commands.init);
      }
      for (const phase of REMOTE_PHASES) {
        for (const run of runs) {
          const result = await step(run, `${phase} backup`, run.commands.backup(phase === 'noop-cold' ? 'cache-cold' : 'cache'));
          if (result === undefined) continue;
          samples.push({ rep, tool: run.target.tool, kind: run.target.kind, phase, seconds: result.seconds, peakRss: result.peakRss, userSeconds: result.userSeconds, systemSeconds: result.systemSeconds, ...(result.bytesSent === undefined ? {} : { bytesSent: result.bytesSent }) });
          const bytes = result.bytesSent === undefined ? '' : `, server sent ${result.bytesSent} bytes`;
          options.log(`rep ${rep}: ${run.target.tool} ${run.target.kind} ${phase} ${result.seconds.toFixed(2)} s${bytes}`);
        }
      }
      if (!options.keep) await rm(repDir, { recursive: true, force: true });
    }
    const described: RemoteComparisonResult['servers'] = Object.fromEntries(
      Object.entries(servers).map(([kind, server]) => [kind, { cairn: server.description, restic: server.resticLeftOut === undefined ? server.restic('probe').server : `none: ${server.resticLeftOut}`, counting: server.counting }]),
    );
    if (!options.keep) await rm(path, { recursive: true, force: true });
    return { path, corpus: corpus!, targets, servers: described, samples, failures };
  } finally {
    for (const server of started) await server.stop();
  }
}

/** The init and backup commands of `tool` against `location` (backing up `source`), with or without a password; each backup names its cache folder under `dir`. */
function toolCommands(tool: RemoteTool, executable: string, location: RemoteLocation, dir: string, source: string, cairnArgs: readonly string[], password: boolean): { init: CommandSpec; backup: (cache: string) => CommandSpec } {
  const home = join(dir, 'home');
  const env = (cache: string): NodeJS.ProcessEnv => {
    const out: NodeJS.ProcessEnv = {};
    for (const [key, value] of Object.entries(process.env)) if (!/^(CAIRN|RESTIC|BORG|AWS|SSH)_/.test(key)) out[key] = value;
    return {
      ...out,
      HOME: home,
      XDG_CACHE_HOME: join(dir, cache),
      XDG_CONFIG_HOME: join(home, '.config'),
      XDG_DATA_HOME: join(home, '.local', 'share'),
      ...(!password ? {} : tool === 'cairn' ? { CAIRN_PASSWORD: BENCH_PASSWORD } : { RESTIC_PASSWORD: BENCH_PASSWORD }),
      ...location.env,
    };
  };
  if (tool === 'cairn') {
    const run = (cache: string, ...args: string[]): CommandSpec => ({ file: process.execPath, args: [executable, ...args], env: env(cache) });
    return {
      // init's cache is its own: the first backup starts with an empty one.
      init: run('cache-init', 'init', '-r', location.repo),
      backup: (cache) => run(cache, 'backup', '-r', location.repo, '-q', '--no-policy', '--vcs', 'off', ...cairnArgs, source),
    };
  }
  const run = (cache: string, ...args: string[]): CommandSpec => ({ file: executable, args: ['-r', location.repo, ...location.args, ...args], env: env(cache) });
  return {
    init: run('cache-init', 'init', '--repository-version', '2'),
    backup: (cache) => run(cache, '--compression', 'auto', 'backup', '-q', source),
  };
}

/** Runs `command` measured; ERR_IO naming `what` and the end of its output when it fails. */
async function measured(command: CommandSpec, settings: RunSettings, statsFile: string, what: string): Promise<Figures> {
  if (settings.dropCaches) {
    spawnSync('sync');
    writeFileSync(DROP_CACHES, '3\n');
  }
  const result = await runMeasured(command, settings.timeBinary, statsFile);
  if (result.code !== 0) {
    const tail = result.stderr.trim().split('\n').slice(-6).join('\n') || result.stdout.trim().split('\n').slice(-6).join('\n');
    throw new CairnError('ERR_IO', `${what} failed (exit code ${String(result.code)}): ${tail}`);
  }
  return { seconds: result.seconds, peakRss: result.peakRss, userSeconds: result.userSeconds, systemSeconds: result.systemSeconds };
}
