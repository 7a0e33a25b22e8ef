import type { Command } from 'commander';
import { createDeviceSource } from '@cairn/device';
import { globals, printJson } from '../context.js';
import { formatBytes, formatMode, formatTime } from '../format.js';
import { addSnapshotFilterFlags } from '../snapshot-filter.js';
import { deviceBackup } from './device-backup.js';
import { connect } from './device-connect.js';
import type { DeviceFlags } from './device-connect.js';
import { deviceRestore } from './device-restore.js';

const PORT_HELP = 'the board: a serial port (/dev/ttyACM0, COM3), tcp:HOST:PORT (a board behind a network bridge), or sim (MicroPython simulated here)';

/** Adds the options every device command shares. */
function withPort(command: Command): Command {
  return command
    .requiredOption('-p, --port <port>', PORT_HELP)
    .option('--baud <rate>', 'serial baud rate (default 115200; USB boards ignore it)')
    .option('--timeout <seconds>', 'how long to wait for the board\'s next byte, and at most for its raw REPL prompt when connecting (default 10)')
    .option('--soft-reset', 'soft-reset the board first (a clean interpreter with the most free RAM)')
    .option('--chunk-size <bytes>', 'file bytes per transfer (default 4096; less for boards short of RAM)')
    .option('--sim-root <dir>', 'with --port sim (and required there): the folder the simulated board\'s flash is loaded from (a restore writes it back)');
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** `cairn device backup|restore|ls`: MicroPython boards over the raw REPL. */
export function registerDevice(program: Command): void {
  const device = program
    .command('device')
    .description('back up and restore MicroPython boards over their REPL (serial, TCP, or a simulated board)');

  withPort(device.command('backup'))
    .description('snapshot a board\'s filesystem (or --path folders of it) into the repository; later runs transfer only what changed')
    .option('--path <path>', 'a board path to back up (repeatable; default: /)', collect, [])
    .option('--tag <tag>', 'tag the snapshot (repeatable)', collect, [])
    .option('--description <text>', 'a description kept with the snapshot')
    .option('--host <name>', 'record this host name (default: the board\'s unique id, else device:PORT)')
    .option('--no-compress', 'do not deflate text on the link')
    .option('--trust-mtime', 'treat equal size and mtime as unchanged even if the board\'s clock looks unset')
    .option('--no-trust-mtime', 'compare every file\'s sha256 on the board with the previous snapshot instead of its mtime')
    .option('-q, --quiet', 'print no progress and no warnings')
    .action(deviceBackup);

  addSnapshotFilterFlags(withPort(device.command('restore')), { path: false })
    .description('put a snapshot (or --path parts of it) on a board; every file is checked by the board before it replaces the old one')
    .argument('<snapshot>', 'snapshot id, unique id prefix, or "latest"')
    .option('--path <path>', 'a snapshot path or glob to restore (repeatable; default: everything)', collect, [])
    .option('--to <board-folder>', 'the board folder to restore into', '/')
    .option('--no-compress', 'do not deflate text on the link')
    .option('-n, --dry-run', 'count what would be written, change nothing')
    .option('-q, --quiet', 'print no progress')
    .action(deviceRestore);

  withPort(device.command('ls'))
    .description('list the files on a board')
    .option('--path <path>', 'the board folder to list', '/')
    .option('-l, --long', 'show type, mode, size and time')
    .action(async (flags: DeviceFlags & { path: string; long?: boolean }, command: Command) => {
      const options = globals(command);
      const board = await connect(flags);
      try {
        const source = createDeviceSource(board);
        const root = source.resolve(flags.path);
        const rows: { path: string; type: string; mode: number; size: number; mtimeNs: bigint }[] = [];
        const walk = async (dir: string): Promise<void> => {
          for (const name of await source.readdir(dir)) {
            const path = source.join(dir, name);
            const stat = await source.lstat(path);
            rows.push({ path, type: stat.type, mode: stat.mode, size: stat.size, mtimeNs: stat.mtimeNs });
            if (stat.type === 'dir') await walk(path);
          }
        };
        await source.scan([root]); // one listing of everything below root
        await walk(root);
        if (options.json === true) {
          printJson(rows, 'entry');
          return;
        }
        for (const row of rows) {
          const name = `${row.path}${row.type === 'dir' ? '/' : ''}`;
          process.stdout.write(flags.long === true ? `${formatMode(row.type, row.mode)} ${String(row.size).padStart(10)} ${formatTime(row.mtimeNs)} ${name}\n` : `${name}\n`);
        }
        if (flags.long === true) process.stdout.write(`${rows.filter((r) => r.type === 'file').length} files, ${formatBytes(rows.reduce((n, r) => n + r.size, 0))}\n`);
      } finally {
        await board.close();
      }
    });
}
