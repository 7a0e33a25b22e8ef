import { stat } from 'node:fs/promises';
import { basename, isAbsolute, relative, resolve } from 'node:path';
import { InvalidArgumentError, Option } from 'commander';
import type { Command } from 'commander';
import { CairnError } from '@cairn/core';
import { addCommonOptions, numberAbove } from '../cli-options.js';
import type { CommonOptions } from '../cli-options.js';
import { commandLine } from '../command-line.js';
import { runComparison } from '../compare.js';
import { ensureGeneratedCorpus } from '../corpus-cache.js';
import { formatMegabytes } from '../format.js';
import { corpusPreset } from '../generate-corpus.js';
import { measureHistoryFloors } from '../history-floors.js';
import { computeHistoryMedians, historyFloorTable, historyTable } from '../history-report.js';
import { runHistory } from '../history.js';
import { formatMachine } from '../machine-info.js';
import { runRemoteComparison } from '../remote-compare.js';
import type { RemoteTool } from '../remote-compare.js';
import { computeRemoteMedians, remoteChecks, remoteTable } from '../remote-report.js';
import { REMOTE_KINDS } from '../remote-server.js';
import type { RemoteKind } from '../remote-server.js';
import { comparisonTable, computeMedians } from '../report.js';
import { openSession, writeJson } from '../session.js';
import type { Session } from '../session.js';
import { checkTmpfs, openTargetDir, SHM } from '../target-dir.js';
import type { TargetDir } from '../target-dir.js';

interface CompareFlags extends CommonOptions {
  readonly generate?: boolean;
  readonly small?: boolean;
  readonly largeMb?: number;
  readonly corpus?: string;
  readonly history?: string;
  /** false with --no-floors: no git and xz floors after a history run. */
  readonly floors?: boolean;
  readonly repoUrl?: RemoteKind[];
  readonly targetTmpfs?: boolean;
}

/** Parses "rest,sftp" into remote kinds; rejects unknown and empty lists. */
function parseKinds(value: string): RemoteKind[] {
  const kinds = [...new Set(value.split(',').map((kind) => kind.trim()).filter((kind) => kind !== ''))];
  if (kinds.length === 0) throw new InvalidArgumentError(`name at least one kind of server: ${REMOTE_KINDS.join(', ')}.`);
  for (const kind of kinds) {
    if (!REMOTE_KINDS.includes(kind as RemoteKind)) throw new InvalidArgumentError(`"${kind}" is not a kind of server the bench starts: choose from ${REMOTE_KINDS.join(', ')}.`);
  }
  return kinds as RemoteKind[];
}

const log = (line: string): void => void process.stderr.write(`${line}\n`);

/** The default command: cairn beside restic and borg on a generated corpus, a folder or a history of versions. */
export function registerCompare(program: Command): void {
  addCommonOptions(program, 'cairn,restic,borg', 3)
    .addOption(new Option('--generate', 'back up a generated corpus (the default)').conflicts(['corpus', 'history']))
    .addOption(new Option('--small', 'a generated corpus of a few MB, for quick checks').conflicts(['corpus', 'history']))
    .addOption(new Option('--large-mb <n>', 'size of the generated large file in MB (default 256; 2 with --small)').argParser(numberAbove(0)).conflicts(['corpus', 'history']))
    .addOption(new Option('--corpus <dir>', 'back up a copy of this folder instead (e.g. /usr/share)').conflicts('history'))
    .option('--history <dir>', 'back up the version folders of <dir> one after the other (sorted by name) into one repository per tool, then restore the last one')
    .option('--no-floors', 'with --history: skip the floors (git gc of the versions committed in order, xz -9 of one tar of them)')
    .addOption(new Option('--target-tmpfs', `repositories and restores on tmpfs, in a folder under ${SHM} made and removed by the run (the source stays in --work): CPU cost without disk noise`).conflicts(['history', 'repoUrl']))
    .addOption(new Option('--repo-url <kinds>', `first and no-op backups to servers the bench starts on 127.0.0.1, comma-separated: ${REMOTE_KINDS.join(', ')} (beside a local folder; cairn and restic)`).argParser(parseKinds).conflicts('history'))
    .action(async (flags: CompareFlags) => {
      if (flags.corpus !== undefined) await checkFolder(flags.corpus, 'corpus', flags.work);
      if (flags.history !== undefined) await checkFolder(flags.history, 'history', flags.work);
      if (flags.targetTmpfs === true) await checkTmpfs();
      // borg has none of these servers: it sits out a remote run.
      const tools = flags.repoUrl === undefined ? flags.tools : flags.tools.filter((tool) => tool !== 'borg');
      if (tools.length === 0) throw new CairnError('ERR_USAGE', '--repo-url runs cairn and restic; --tools names neither.');
      const session = await openSession({ ...flags, tools }, log);
      try {
        process.exitCode = flags.repoUrl !== undefined ? await remote(session, flags, flags.repoUrl) : flags.history === undefined ? await compare(session, flags) : await history(session, flags);
      } finally {
        await session.close();
      }
    });
}

/** Throws CairnError ERR_NOT_FOUND unless `path` is a folder, RangeError when the work folder is in it. */
export async function checkFolder(path: string, what: string, work: string): Promise<void> {
  const inside = relative(resolve(path), resolve(work));
  if (!inside.startsWith('..') && !isAbsolute(inside)) {
    throw new RangeError(`--work ${resolve(work)} is inside the ${what} folder ${resolve(path)}: choose a work folder outside it.`);
  }
  const info = await stat(path).catch((error: unknown) => {
    throw new CairnError('ERR_NOT_FOUND', `The ${what} folder ${resolve(path)} does not exist.`, { cause: error });
  });
  if (!info.isDirectory()) throw new CairnError('ERR_NOT_FOUND', `The ${what} ${resolve(path)} is not a folder.`);
}

function header(session: Session): string[] {
  return [`command: ${commandLine(process.argv)}`, formatMachine(session.machine)];
}

function notes(session: Session, failures: readonly { rep: number; tool: string; step: string; message: string }[]): string[] {
  return [
    ...session.missing.map((m) => `left out: ${m.reason}`),
    ...session.notes.map((n) => `note: ${n}`),
    ...failures.map((f) => `FAILED: rep ${f.rep}, ${f.tool} ${f.step}: ${f.message}`),
  ];
}

/** The source to back up: the --corpus folder, or the generated corpus (made on first use). */
async function corpusSource(session: Session, flags: CompareFlags): Promise<{ source: string; description: string }> {
  if (flags.corpus !== undefined) {
    const source = resolve(flags.corpus);
    return { source, description: `folder ${source}` };
  }
  const params = corpusPreset(flags.small === true ? 'small' : 'default', flags.seed, flags.largeMb);
  const cached = await ensureGeneratedCorpus(session.work, params);
  const m = cached.manifest;
  log(cached.reused ? `reusing the generated corpus ${cached.root}` : `generated ${cached.root} in ${m.seconds.toFixed(1)} s`);
  return {
    source: cached.root,
    description: `generated (seed ${flags.seed}${flags.small === true ? ', --small' : ''}): ${m.text.files} text files (${formatMegabytes(m.text.bytes)}), ${m.tiny.files} tiny files (${formatMegabytes(m.tiny.bytes)}), ${m.random.files} random files (${formatMegabytes(m.random.bytes)}), one large file (${formatMegabytes(m.large.bytes)})`,
  };
}

async function remote(session: Session, flags: CompareFlags, kinds: RemoteKind[]): Promise<number> {
  const { source, description } = await corpusSource(session, flags);
  const tools = session.tools.filter((t): t is { name: RemoteTool; executable: string } => t.name === 'cairn' || t.name === 'restic');
  const result = await runRemoteComparison({
    source,
    runDir: session.runDir,
    name: flags.corpus === undefined ? 'corpus' : basename(source) || 'root',
    kinds,
    tools,
    reps: flags.reps,
    cairnArgs: flags.cairnArgs,
    settings: session.settings,
    keep: flags.keep === true,
    log,
  });
  const medians = computeRemoteMedians(result.samples, result.targets);
  const table = remoteTable(medians, result.targets);
  const checks = remoteChecks(medians, result.targets);
  const c = result.corpus;
  const servers = Object.entries(result.servers).map(([kind, s]) => `${kind}: cairn to ${s.cairn}; restic to ${s.restic}; bytes sent: ${s.counting}`);
  const lines = [
    ...header(session),
    `corpus: ${description}; ${formatMegabytes(c.bytes)} in ${c.files.toLocaleString('en')} files, ${c.dirs.toLocaleString('en')} folders, backed up as ${result.path}`,
    ...servers,
    `reps: ${flags.reps}, medians; targets in an order rotating with each repetition; a first backup with an empty cache folder (XDG_CACHE_HOME), a no-op with the cache it left, a no-op with an empty one; both tools get a password (restic always encrypts; cairn encrypts with it), but for \`cairn plain\`: a local folder without one (unencrypted), for what encryption costs${flags.cairnArgs.length > 0 ? `; cairn backup args: ${flags.cairnArgs.join(' ')}` : ''}`,
    '',
    table,
    '',
    ...checks,
    ...notes(session, result.failures),
  ];
  process.stdout.write(`${lines.join('\n').trimEnd()}\n`);
  if (flags.json !== undefined) {
    await writeJson(flags.json, { command: commandLine(process.argv), machine: session.machine, mode: 'remote', kinds, corpus: { description, ...c, path: result.path }, reps: flags.reps, cairnArgs: flags.cairnArgs, servers: result.servers, samples: result.samples, medians, checks, failures: result.failures, missing: session.missing, notes: session.notes, table });
  }
  return result.failures.length > 0 ? 1 : 0;
}

async function compare(session: Session, flags: CompareFlags): Promise<number> {
  const { source, description } = await corpusSource(session, flags);
  const target = await openTargetDir({ runDir: session.runDir, work: session.work, tmpfs: flags.targetTmpfs === true, keep: flags.keep === true });
  log(target.description);
  try {
    return await compareIn(session, flags, source, description, target);
  } finally {
    await target.close();
    if (target.tmpfs && flags.keep === true) log(`kept ${target.dir} (--keep): remove it when done, it takes memory`);
  }
}

async function compareIn(session: Session, flags: CompareFlags, source: string, description: string, target: TargetDir): Promise<number> {
  const result = await runComparison({
    source,
    runDir: session.runDir,
    targetDir: target.dir,
    name: flags.corpus === undefined ? 'corpus' : basename(source) || 'root',
    tools: session.tools,
    reps: flags.reps,
    seed: flags.seed,
    cairnArgs: flags.cairnArgs,
    settings: session.settings,
    keep: flags.keep === true,
    log,
  });
  const toolNames = session.tools.map((t) => t.name);
  const medians = computeMedians(result.samples, toolNames);
  const table = comparisonTable(medians, result.samples, toolNames, flags.cairnArgs);
  const c = result.corpus;
  const change = result.change;
  const lines = [
    ...header(session),
    `corpus: ${description}; ${formatMegabytes(c.bytes)} in ${c.files.toLocaleString('en')} files, ${c.dirs.toLocaleString('en')} folders, backed up as ${result.path}`,
    ...(change === undefined ? [] : [`change: ${change.edited.length} files edited, ${change.added.length} added, ${change.removed.length} removed, ${change.insertedBytes / 2 ** 20} MiB inserted in the middle of ${change.large ?? '(no file)'}`]),
    `reps: ${flags.reps}, medians; tools alternate in each phase, the first one rotating${flags.dropCaches === true ? '; page cache dropped before each command' : ''}${flags.cairnArgs.length > 0 ? `; cairn backup args: ${flags.cairnArgs.join(' ')}` : ''}`,
    target.description,
    '',
    table,
    '',
    ...notes(session, result.failures),
  ];
  process.stdout.write(`${lines.join('\n').trimEnd()}\n`);
  if (flags.json !== undefined) {
    await writeJson(flags.json, { command: commandLine(process.argv), machine: session.machine, mode: 'compare', dropCaches: flags.dropCaches === true, target: { tmpfs: target.tmpfs, dir: target.dir, filesystem: target.filesystem }, corpus: { description, ...c, path: result.path }, change, reps: flags.reps, cairnArgs: flags.cairnArgs, samples: result.samples, medians, failures: result.failures, missing: session.missing, notes: session.notes, table });
  }
  const unverified = result.samples.some((s) => s.verified === false);
  return result.failures.length > 0 || unverified ? 1 : 0;
}

async function history(session: Session, flags: CompareFlags): Promise<number> {
  const historyDir = resolve(flags.history!);
  const result = await runHistory({ historyDir, runDir: session.runDir, tools: session.tools, reps: flags.reps, cairnArgs: flags.cairnArgs, settings: session.settings, keep: flags.keep === true, log });
  const toolNames = session.tools.map((t) => t.name);
  const medians = computeHistoryMedians(result.samples, toolNames, result.versions, result.restores);
  const floors = flags.floors === false ? [] : await measureHistoryFloors(historyDir, result.versions, session.runDir, log);
  const table = [historyTable(medians, toolNames, result.versions), ...(floors.length === 0 ? [] : ['', historyFloorTable(floors, medians, toolNames)])].join('\n');
  const lines = [
    ...header(session),
    `history: ${historyDir}, ${result.versions.length} versions (${result.versions[0]} … ${result.versions[result.versions.length - 1]}), each mirrored to ${result.path} and backed up by every tool`,
    `reps: ${flags.reps}, medians${flags.dropCaches === true ? '; page cache dropped before each command' : ''}`,
    '',
    table,
    '',
    ...notes(session, result.failures),
  ];
  process.stdout.write(`${lines.join('\n').trimEnd()}\n`);
  if (flags.json !== undefined) {
    await writeJson(flags.json, { command: commandLine(process.argv), machine: session.machine, mode: 'history', dropCaches: flags.dropCaches === true, history: historyDir, versions: result.versions, reps: flags.reps, cairnArgs: flags.cairnArgs, samples: result.samples, restores: result.restores, floors, medians, failures: result.failures, missing: session.missing, notes: session.notes, table });
  }
  return result.failures.length > 0 || result.restores.some((r) => !r.verified) ? 1 : 0;
}
