import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { Option } from 'commander';
import type { Command } from 'commander';
import { CairnError } from '@cairn/core';
import { DEFAULT_CAIRN_CLI, DEFAULT_WORK, integer } from '../cli-options.js';
import { commandLine } from '../command-line.js';
import { ensureTools } from '../ensure-tools.js';
import { floorToolVersions, runFloor } from '../floor.js';
import { computeFloorMedians, deriveFloor, derivedLines, floorTable } from '../floor-report.js';
import { compileWalk } from '../floor-walk.js';
import { formatMegabytes } from '../format.js';
import { formatMachine, machineInfo } from '../machine-info.js';
import { writeJson } from '../session.js';
import { median } from '../stats.js';
import { checkTmpfs, openTargetDir, SHM } from '../target-dir.js';
import { createToolDriver } from '../tools.js';
import { checkFolder } from './compare-command.js';

interface FloorFlags {
  readonly corpus: string;
  readonly reps: number;
  readonly work: string;
  readonly json?: string;
  readonly targetTmpfs?: boolean;
  readonly cairnCli: string;
  readonly install: boolean;
}

const log = (line: string): void => void process.stderr.write(`${line}\n`);

/** `cairn-bench floor`: what a restore, a no-op and a first backup cost at least on this machine, and Node's own memory. */
export function registerFloor(program: Command): void {
  program
    .command('floor')
    .description('the floor under cairn on a folder: cp -a and tar for a restore, a C and a Node walk and a Node no-op (cairn and restic beside it) for a no-op backup, tar | zstd, tar | sha256sum and a C read for a first backup, Node\'s own RSS')
    .requiredOption('--corpus <dir>', 'the folder to measure on (read, never changed), e.g. a copy of /usr/share')
    .addOption(new Option('--reps <n>', 'repetitions (medians are reported)').default(3).argParser(integer(1, 1000)))
    .option('--work <dir>', 'scratch space: the compiled C walk, and the restore copies unless --target-tmpfs', DEFAULT_WORK)
    .option('--json <file>', 'write every raw sample and the medians as JSON to <file>')
    .option('--target-tmpfs', `the restore floors write to a folder under ${SHM} made and removed by the run`)
    .option('--cairn-cli <path>', 'the built cairn CLI (for the memory floor of its --help, and the no-op rows: it makes their repository and is measured beside their floor)', DEFAULT_CAIRN_CLI)
    .option('--no-install', 'do not apt-get install GNU time when it is missing')
    .action(async (flags: FloorFlags) => {
      const corpus = resolve(flags.corpus);
      await checkFolder(corpus, 'corpus', flags.work);
      if (flags.targetTmpfs === true) await checkTmpfs();
      const check = ensureTools([], { cairnCli: resolve(flags.cairnCli), install: flags.install, log });
      const cairnCli = existsSync(resolve(flags.cairnCli)) ? resolve(flags.cairnCli) : undefined;
      const work = resolve(flags.work);
      await mkdir(work, { recursive: true });
      const runDir = await mkdtemp(join(work, 'floor-'));
      try {
        const target = await openTargetDir({ runDir, work, tmpfs: flags.targetTmpfs === true, keep: false });
        try {
          const inside = relative(corpus, target.dir);
          if (!inside.startsWith('..') && !isAbsolute(inside)) {
            throw new CairnError('ERR_USAGE', `The restore floors would write into the corpus folder ${corpus} (at ${target.dir}): choose a corpus that does not hold ${flags.targetTmpfs === true ? SHM : '--work'}.`);
          }
          process.exitCode = await floor(flags, corpus, runDir, target.dir, `${target.description.replace(/^repository and restore/, 'restore floors').replace(/; the source stays in --work .*$/, '')}; the corpus is read where it is`, check.timeBinary, check.notes, cairnCli);
        } finally {
          await target.close();
        }
      } finally {
        await rm(runDir, { recursive: true, force: true });
      }
    });
}

async function floor(flags: FloorFlags, corpus: string, runDir: string, targetDir: string, where: string, timeBinary: string | undefined, toolNotes: readonly string[], cairnCli: string | undefined): Promise<number> {
  const walk = compileWalk(runDir);
  if (walk.executable === undefined) log(`skipped: ${walk.reason}`);
  const machine = machineInfo(cairnCli === undefined ? [] : [createToolDriver('cairn', { executable: cairnCli, dir: join(runDir, 'version') })]);
  const versions = { ...floorToolVersions(), ...(walk.executable === undefined ? {} : { cc: walk.compiler }) };
  const result = await runFloor({ corpus, targetDir: join(targetDir, 'floor'), runDir, reps: flags.reps, timeBinary, walk, cairnCli, log });
  const medians = computeFloorMedians(result.samples);
  const loaded = result.samples.filter((s) => s.noop !== undefined).map((s) => s.noop!.loadedMs / 1000);
  const derived = deriveFloor(medians, result.entries, loaded.length === 0 ? undefined : median(loaded));
  const table = floorTable(medians, result.skipped);
  const read = result.samples.find((s) => s.row === 'c-walk-read')?.count;
  const walkErrors = result.samples.filter((s) => (s.count?.errors ?? 0) > 0).map((s) => `${s.row} (rep ${s.rep}): ${s.count!.errors} calls failed`);
  const lines = [
    `command: ${commandLine(process.argv)}`,
    formatMachine(machine),
    `tools: ${Object.entries(versions).map(([name, version]) => `${name}: ${version}`).join('; ')}`,
    `corpus: ${corpus}${result.entries === undefined ? '' : `; ${result.entries.toLocaleString('en')} entries below it (every walk agrees)`}${read === undefined ? '' : `, ${formatMegabytes(read.bytes)} in its regular files`}`,
    where,
    `reps: ${flags.reps}, medians; the page cache warmed with the corpus before each repetition; CPU and peak RSS from GNU time: for a pipeline, user+sys is every process's and peak RSS the largest single process's`,
    '',
    table,
    '',
    ...derivedLines(derived),
    'cp -a may copy file data inside the kernel (copy_file_range), below what a restore that decompresses can do; tar -xpf writes every byte from user space, as a restore does',
    ...result.skipped.map((s) => `skipped: ${s.row}: ${s.reason}`),
    ...toolNotes.map((n) => `note: ${n}`),
    ...walkErrors.map((e) => `note: ${e} (unreadable entries; every walk meets them alike)`),
    ...(result.mismatch === undefined ? [] : [`FAILED: ${result.mismatch}`]),
  ];
  process.stdout.write(`${lines.join('\n').trimEnd()}\n`);
  if (flags.json !== undefined) {
    await writeJson(flags.json, { command: commandLine(process.argv), machine, mode: 'floor', versions, corpus: { path: corpus, entries: result.entries, bytes: read?.bytes }, target: { tmpfs: flags.targetTmpfs === true, dir: targetDir }, reps: flags.reps, samples: result.samples, medians, derived, skipped: result.skipped, mismatch: result.mismatch ?? null, table });
  }
  if (result.mismatch !== undefined) {
    log(`FAILED: ${result.mismatch}`);
    return 1;
  }
  return 0;
}
