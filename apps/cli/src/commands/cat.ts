import type { Command } from 'commander';
import { CAT_KINDS, catObject } from '@cairn/repository';
import { globals, openRepo, printJson, resolveSnapshot } from '../context.js';
import { usageError } from '../usage.js';
import { addSnapshotFilterFlags, snapshotFilter } from '../snapshot-filter.js';
import type { SnapshotFilterFlags } from '../snapshot-filter.js';

/** `cairn cat <config|snapshot|tree|index|pack> [id]` */
export function registerCat(program: Command): void {
  addSnapshotFilterFlags(program
    .command('cat')
    .description('show a repository object as JSON')
    .argument('<kind>', CAT_KINDS.join(' | '))
    .argument('[id]', 'the object\'s id (a snapshot: also a prefix or "latest"; index/pack: a prefix)'))
    .action(async (kind: string, id: string | undefined, flags: SnapshotFilterFlags, command: Command) => {
      const found = CAT_KINDS.find((k) => k === kind);
      if (found === undefined) throw usageError(`cat wants one of ${CAT_KINDS.join(', ')}, got ${JSON.stringify(kind)}`);
      if (found !== 'config' && (id === undefined || id === '')) throw usageError(`cat ${found} needs an id`);
      if (found === 'config' && id !== undefined) throw usageError(`cat config takes no id: unexpected argument ${JSON.stringify(id)}`);
      const repo = await openRepo(globals(command));
      printJson(await catObject(repo, found, found === 'snapshot' && id !== undefined ? (await resolveSnapshot(repo, id, snapshotFilter(flags))).id : id));
    });
}
