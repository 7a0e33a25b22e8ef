import type { Command } from 'commander';
import { tagSnapshots } from '@cairn/repository/maintenance';
import type { TagChanges } from '@cairn/repository/maintenance';
import { globals, openRepo, printJson } from '../context.js';
import { shortId } from '../format.js';
import { addSnapshotFilterFlags, snapshotFilter } from '../snapshot-filter.js';
import type { SnapshotFilterFlags } from '../snapshot-filter.js';
import { usageError } from '../usage.js';

interface TagFlags extends SnapshotFilterFlags {
  readonly add?: string[];
  readonly remove?: string[];
  readonly set?: string[];
  readonly dryRun?: boolean;
}

/** `cairn tag [snapshots…] --add/--remove/--set <tags>` */
export function registerTag(program: Command): void {
  addSnapshotFilterFlags(program
    .command('tag')
    .description('add, remove or set the tags of snapshots; each changed snapshot is rewritten and gets a new id')
    .argument('[snapshots...]', 'snapshot ids, unique id prefixes or "latest" (default: every snapshot the --host/--path/--tag filters select)'))
    .option('--add <tags>', 'add these tags (comma-separated; repeatable)', collect)
    .option('--remove <tags>', 'remove these tags (comma-separated; repeatable)', collect)
    .option('--set <tags>', 'replace all tags with these (comma-separated; repeatable; "" for no tags)', collect)
    .option('-n, --dry-run', 'say what would change, change nothing')
    .action(async (refs: string[], flags: TagFlags, command: Command) => {
      const options = globals(command);
      const filter = snapshotFilter(flags);
      const changes = tagChanges(flags);
      const repo = await openRepo(options);
      const result = await tagSnapshots(repo, { ...changes, snapshots: refs, filter, dryRun: flags.dryRun === true });
      if (options.json === true) {
        printJson(result);
        return;
      }
      const lines = result.rewritten.map((r) => `${result.dryRun ? 'would rewrite' : 'rewrote'} snapshot ${shortId(r.oldId)}${r.newId === null ? '' : ` -> ${shortId(r.newId)}`}, tags now ${r.tags.length === 0 ? '(none)' : r.tags.join(',')}`);
      const n = result.rewritten.length;
      lines.push(`${result.dryRun ? 'would change' : 'changed'} the tags of ${n} snapshot${n === 1 ? '' : 's'}${result.unchanged.length > 0 ? `; ${result.unchanged.length} already had them and ${result.unchanged.length === 1 ? 'was' : 'were'} left alone` : ''}${result.dryRun ? ' (dry run: nothing changed)' : ''}`);
      process.stdout.write(`${lines.join('\n')}\n`);
    });
}

/** The tag changes the flags ask for; ERR_USAGE for none, --set with --add/--remove, or an empty tag. */
function tagChanges(flags: TagFlags): TagChanges {
  const split = (flag: string, values: readonly string[]): string[] => values.flatMap((value) => {
    const tags = value.split(',').map((tag) => tag.trim());
    if (tags.some((tag) => tag === '')) throw usageError(`${flag}: ${JSON.stringify(value)} holds an empty tag${flag === '--set' ? ' (--set "" alone removes every tag)' : ''}`);
    return tags;
  });
  const setNone = flags.set?.length === 1 && flags.set[0] === '';
  const set = setNone ? [] : flags.set === undefined ? undefined : split('--set', flags.set);
  const add = split('--add', flags.add ?? []);
  const remove = split('--remove', flags.remove ?? []);
  if (set === undefined && add.length === 0 && remove.length === 0) throw usageError('tag needs a change: --add, --remove or --set <tags>');
  if (set !== undefined && (add.length > 0 || remove.length > 0)) throw usageError('give --set, or --add/--remove, not both: --set replaces every tag');
  return { ...(set === undefined ? {} : { set }), add, remove };
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}
