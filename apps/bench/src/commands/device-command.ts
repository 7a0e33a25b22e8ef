import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';

/** The device measurement lives with the device transport, whose internals it drives. */
const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..', 'packages', 'device', 'bench', 'device-wire.mjs');

/** `cairn-bench device`: bytes on the wire per byte of file, and the unchanged-board incremental (packages/device/bench/device-wire.mjs). */
export function registerDevice(program: Command): void {
  program
    .command('device')
    .description('device transport over the in-process MicroPython and a socat pty: wire bytes per file byte for backup and restore, the unchanged 100-file incremental, throughput')
    .option('--json', 'print the rows as JSON')
    .action((flags: { json?: boolean }) => {
      const child = spawnSync(process.execPath, [SCRIPT, ...(flags.json === true ? ['--json'] : [])], { stdio: 'inherit' });
      if (child.error !== undefined) throw child.error;
      process.exitCode = child.status ?? 1;
    });
}
