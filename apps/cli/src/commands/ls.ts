import type { Command } from 'commander';
import { treeToJson } from '@cairn/index';
import { listSnapshot } from '@cairn/repository';
import { globals, openRepo, printJson, resolveSnapshot } from '../context.js';
import { formatMode, formatTime } from '../format.js';
import { addSnapshotFilterFlags, snapshotFilter } from '../snapshot-filter.js';
import type { SnapshotFilterFlags } from '../snapshot-filter.js';

/** `cairn ls <snapshot> [path]` */
export function registerLs(program: Command): void {
  addSnapshotFilterFlags(program
    .command('ls')
    .description('list the files of a snapshot (all of it, or below a path)')
    .argument('<snapshot>', 'snapshot id, unique id prefix, or "latest"')
    .argument('[path]', 'a path in the snapshot', '')
    .option('-l, --long', 'show type, mode, size and time')
    .option('--no-recursive', 'list only the folder itself, not below it'))
    .action(async (ref: string, path: string, flags: SnapshotFilterFlags & { long?: boolean; recursive: boolean }, command: Command) => {
      const options = globals(command);
      const repo = await openRepo(options);
      const { id } = await resolveSnapshot(repo, ref, snapshotFilter(flags));
      const entries = listSnapshot(repo, id, path, { recursive: flags.recursive });
      if (options.json === true) {
        const all = [];
        for await (const entry of entries) all.push({ path: entry.path, ...treeToJson([entry.node])[0] });
        printJson(all);
        return;
      }
      for await (const { path: p, node } of entries) {
        const suffix = node.type === 'symlink' ? ` -> ${node.linkTarget ?? ''}` : node.type === 'dir' ? '/' : '';
        const line = flags.long === true
          ? `${formatMode(node.type, node.mode)} ${String(node.uid).padStart(5)} ${String(node.gid).padStart(5)} ${String(node.size).padStart(12)} ${formatTime(node.mtimeNs)} ${p}${suffix}`
          : `${p}${suffix}`;
        process.stdout.write(`${line}\n`);
      }
    });
}
