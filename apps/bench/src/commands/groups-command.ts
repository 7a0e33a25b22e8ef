import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Option } from 'commander';
import type { Command } from 'commander';
import { CairnError } from '@cairn/core';
import { loadZstd } from '@cairn/pack';
import { measureGroups, listSmallFiles } from '../blob-groups.js';
import type { GroupSample } from '../blob-groups.js';
import { integer } from '../cli-options.js';
import { commandLine } from '../command-line.js';
import { formatMegabytes, formatRatio, markdownTable } from '../format.js';
import { formatMachine, machineInfo } from '../machine-info.js';
import { writeJson } from '../session.js';

interface GroupsFlags {
  readonly corpus: string;
  readonly sizes: readonly number[];
  readonly smallMax: number;
  readonly level: number;
  readonly samples: number;
  readonly json?: string;
}

/** `cairn-bench groups`: small files compressed one frame each (cairn today) or together in groups of a few hundred KiB, density against the cost of reading one. */
export function registerGroups(program: Command): void {
  program
    .command('groups')
    .description('small files stored one zstd frame each, or grouped into frames of a given size: the size stored against the bytes a read of one file must decompress')
    .requiredOption('--corpus <dir>', 'the folder whose small files are measured (read, never changed), e.g. /usr/include')
    .addOption(new Option('--sizes <list>', 'group sizes, comma-separated, 0 for one frame per file (K and M suffixes)').default([0, 64 << 10, 256 << 10, 1 << 20, 4 << 20], '0,64K,256K,1M,4M').argParser(parseSizes))
    .addOption(new Option('--small-max <size>', 'the largest file counted as small: below the chunker\'s minimum a file is one chunk').default(512 << 10, '512K').argParser((v) => parseSize(v)))
    .addOption(new Option('--level <n>', 'zstd level').default(3).argParser(integer(1, 19)))
    .addOption(new Option('--samples <n>', 'files read back at random to price one read').default(500).argParser(integer(1, 1_000_000)))
    .option('--json <file>', 'write the samples as JSON to <file>')
    .action(async (flags: GroupsFlags) => {
      const corpus = resolve(flags.corpus);
      const info = await stat(corpus).catch((error: unknown) => {
        throw new CairnError('ERR_NOT_FOUND', `The corpus folder ${corpus} does not exist.`, { cause: error });
      });
      if (!info.isDirectory()) throw new CairnError('ERR_NOT_FOUND', `The corpus ${corpus} is not a folder.`);
      const zstd = await loadZstd();
      const files = listSmallFiles(corpus, flags.smallMax);
      if (files.paths.length === 0) throw new CairnError('ERR_NOT_FOUND', `The corpus ${corpus} holds no regular file of at most ${flags.smallMax} bytes.`);
      const samples = measureGroups(zstd, files, flags.sizes, flags.level, flags.samples);
      const table = groupsTable(samples);
      const lines = [
        `command: ${commandLine(process.argv)}`,
        formatMachine(machineInfo([])),
        `corpus: ${corpus}: ${files.paths.length.toLocaleString('en')} files of at most ${flags.smallMax} bytes, ${formatMegabytes(files.bytes)} (${files.skipped.toLocaleString('en')} larger files left out); zstd level ${flags.level} (${zstd.name}), one thread`,
        'groups are filled in walk order (names sorted, depth first); a read of one file decompresses its whole frame',
        '',
        table,
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
      if (flags.json !== undefined) await writeJson(flags.json, { command: commandLine(process.argv), mode: 'groups', corpus: { path: corpus, files: files.paths.length, bytes: files.bytes, skipped: files.skipped }, level: flags.level, zstd: zstd.name, samples, table });
    });
}

/** The markdown table: per group size, frames, bytes stored, against one frame per file, and the price of one read. */
export function groupsTable(samples: readonly GroupSample[]): string {
  const alone = samples.find((s) => s.groupBytes === 0);
  return markdownTable(
    ['frames of', 'frames', 'stored', 'stored / one frame each', 'compress CPU', 'one file read decompresses', 'one file read takes'],
    samples.map((s) => [
      s.groupBytes === 0 ? 'one file each' : formatSize(s.groupBytes),
      s.frames.toLocaleString('en'),
      formatMegabytes(s.storedBytes),
      alone === undefined ? '–' : formatRatio(s.storedBytes / alone.storedBytes),
      `${s.compressSeconds.toFixed(2)} s`,
      `${(s.meanReadBytes / 1024).toFixed(1)} KiB`,
      `${s.meanReadMicros.toFixed(0)} µs`,
    ]),
  );
}

function formatSize(bytes: number): string {
  return bytes % (1 << 20) === 0 ? `${bytes >> 20} MiB` : `${bytes >> 10} KiB`;
}

/** "64K" → 65536, "1M" → 1048576, "0" → 0; ERR_USAGE otherwise. */
function parseSize(value: string): number {
  const match = /^(\d+)([KM]?)$/i.exec(value.trim());
  if (match === null) throw new CairnError('ERR_USAGE', `not a size: ${JSON.stringify(value)} (e.g. 0, 64K, 1M)`);
  const unit = match[2]!.toUpperCase() === 'K' ? 1 << 10 : match[2]!.toUpperCase() === 'M' ? 1 << 20 : 1;
  return Number(match[1]) * unit;
}

function parseSizes(value: string): number[] {
  const sizes = value.split(',').map(parseSize);
  if (sizes.length === 0) throw new CairnError('ERR_USAGE', '--sizes needs at least one size');
  return sizes;
}
