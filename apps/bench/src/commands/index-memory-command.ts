import { spawnSync } from 'node:child_process';
import type { Command } from 'commander';
import { integer } from '../cli-options.js';
import { commandLine } from '../command-line.js';
import { markdownTable } from '../format.js';
import { INDEX_TARGET_BYTES_PER_ENTRY, measureIndexMemory } from '../index-memory.js';
import { formatMachine, machineInfo } from '../machine-info.js';
import { writeJson } from '../session.js';

const CHILD = 'CAIRN_BENCH_GC_CHILD';

/** `cairn-bench index-memory`: RAM per entry, insert and lookup rates of the blob index. */
export function registerIndexMemory(program: Command): void {
  program
    .command('index-memory')
    .description(`build a BlobIndex of --entries blobs: bytes of RAM per entry (target ${INDEX_TARGET_BYTES_PER_ENTRY}), inserts/s, lookups/s`)
    .option('--entries <n>', 'number of blobs', integer(1, 100_000_000), 5_000_000)
    .option('--seed <n>', 'seed of the ids', integer(0, 2 ** 32 - 1), 1)
    .option('--json <file>', 'write the figures as JSON to <file>')
    .action(async (flags: { entries: number; seed: number; json?: string }) => {
      if ((globalThis as { gc?: unknown }).gc === undefined && process.env[CHILD] === undefined) {
        // A forced gc is needed: run again as `node --expose-gc main.js …`.
        const child = spawnSync(process.execPath, ['--expose-gc', ...process.execArgv, ...process.argv.slice(1)], { stdio: 'inherit', env: { ...process.env, [CHILD]: '1' } });
        process.exitCode = child.status ?? 1;
        return;
      }
      const r = await measureIndexMemory(flags.entries, flags.seed);
      const met = r.bytesPerEntry <= INDEX_TARGET_BYTES_PER_ENTRY;
      const rate = (n: number): string => `${(n / 1e6).toFixed(2)} M/s`;
      const table = markdownTable(['blob index', 'figure'], [
        ['entries', `${r.entries.toLocaleString('en')} in ${r.packs.toLocaleString('en')} packs`],
        ['RAM per entry (heap + array buffers, after gc)', `${r.bytesPerEntry.toFixed(1)} B`],
        ["the index's own count (memoryBytes)", `${r.ownBytesPerEntry.toFixed(1)} B`],
        [`target: at most ${INDEX_TARGET_BYTES_PER_ENTRY} B per entry`, met ? 'met' : 'MISSED'],
        ['inserts (addPack)', `${rate(r.insertsPerSecond)} (${r.insertSeconds.toFixed(2)} s)`],
        ['lookups, hits in random order', rate(r.lookupsPerSecond)],
        ['has(), misses', rate(r.missesPerSecond)],
      ]);
      const machine = machineInfo([]);
      process.stdout.write(`command: ${commandLine(process.argv)}\n${formatMachine(machine)}\n\n${table}\n`);
      if (flags.json !== undefined) await writeJson(flags.json, { command: commandLine(process.argv), machine, mode: 'index-memory', ...r, target: INDEX_TARGET_BYTES_PER_ENTRY, met, table });
    });
}
