import type { Command } from 'commander';
import { treeToJson } from '@cairn/index';
import { findInSnapshots } from '@cairn/repository';
import type { FindMatch, FindQuery } from '@cairn/repository';
import { globals, openRepo } from '../context.js';
import { emit, emitItem, warn } from '../output.js';
import { formatBytes, formatTime, shortId } from '../format.js';
import { addSnapshotFilterFlags, snapshotFilter } from '../snapshot-filter.js';
import type { SnapshotFilterFlags } from '../snapshot-filter.js';
import { usageError } from '../usage.js';

interface FindFlags extends SnapshotFilterFlags {
  readonly ignoreCase?: boolean;
  readonly blob?: boolean;
  readonly tree?: boolean;
  readonly pack?: boolean;
  readonly snapshot?: string[];
  readonly oldest?: string;
  readonly newest?: string;
}

/** `cairn find <pattern…>` */
export function registerFind(program: Command): void {
  addSnapshotFilterFlags(program
    .command('find')
    .description('find files and folders by name, glob or path (or by blob, tree or pack id) in every snapshot; the same entry in several snapshots is listed once')
    .argument('<pattern...>', 'a name or glob (*.json: any depth), a path ending (src/*.ts), a path from the snapshot root (/acme/src/*.ts); ** spans folders')
    .option('-i, --ignore-case', 'match the patterns without regard to case')
    .option('--blob', 'the arguments are data blob ids (or prefixes): files holding them')
    .option('--tree', 'the arguments are tree ids (or prefixes): folders whose listing they are')
    .option('--pack', 'the arguments are pack ids (or prefixes): files and folders stored in them')
    .option('-s, --snapshot <id>', 'only this snapshot (id, prefix or "latest"; repeatable)', collect)
    .option('-O, --oldest <time>', 'only entries modified at or after this time (2026-12-01, "2026-12-01 14:30", local time)')
    .option('-N, --newest <time>', 'only entries modified at or before this time (a date alone: to the end of that day)'))
    .action(async (args: string[], flags: FindFlags, command: Command) => {
      const options = globals(command);
      const kinds = (['blob', 'tree', 'pack'] as const).filter((kind) => flags[kind] === true);
      if (kinds.length > 1) throw usageError(`--${kinds.join(' and --')}: give one kind of id at a time`);
      const kind = kinds[0];
      const oldest = flags.oldest === undefined ? undefined : parseTime('--oldest', flags.oldest, false);
      const newest = flags.newest === undefined ? undefined : parseTime('--newest', flags.newest, true);
      const query: FindQuery = {
        ...(kind === undefined ? { patterns: args, ignoreCase: flags.ignoreCase === true } : { [`${kind}s`]: args }),
        ...(oldest === undefined ? {} : { oldest }),
        ...(newest === undefined ? {} : { newest }),
        snapshots: flags.snapshot ?? [],
        filter: snapshotFilter(flags),
        onUnreadable: (p) => warn(`skipped ${p.file}, which cannot be read: ${p.error.message}`, { file: p.file }),
      };
      const repo = await openRepo(options);
      const result = await findInSnapshots(repo, query);
      if (options.json === true) {
        // One `match` line per grouped hit, then the summary (docs/JSON.md).
        for (const match of result.matches) emitItem('match', matchJson(match));
        emit('summary', { count: result.matches.length, hits: result.hits, snapshots: result.snapshots.length, treesLoaded: result.treesLoaded });
        return;
      }
      for (const match of result.matches) process.stdout.write(`${matchLine(match)}\n`);
      if (options.quiet !== true) {
        const searched = `${result.snapshots.length} snapshot${result.snapshots.length === 1 ? '' : 's'}`;
        process.stdout.write(result.matches.length === 0
          ? `no match in ${searched}\n`
          : `${result.matches.length} match${result.matches.length === 1 ? '' : 'es'} (${result.hits} in all) in ${searched}; ${result.treesLoaded} trees read\n`);
      }
    });
}

/** `file   1.2 KiB  2026-12-01 14:30:00  acme/config.json  (identical in snapshots a1b2c3d4, +6 more)` */
function matchLine(match: FindMatch): string {
  const node = match.node;
  const type = node?.type ?? 'dir';
  const size = node === null || node.type === 'dir' ? '-' : formatBytes(node.size);
  const time = node === null ? '-'.padEnd(19) : formatTime(node.mtimeNs);
  const path = match.path === '' ? '/' : `${match.path}${type === 'dir' ? '/' : ''}${node?.type === 'symlink' ? ` -> ${node.linkTarget ?? ''}` : ''}`;
  const [first] = match.snapshots;
  const more = match.snapshots.length - 1;
  const where = more === 0 ? `in snapshot ${shortId(first!)}` : `identical in snapshots ${shortId(first!)}, +${more} more`;
  return `${type.padEnd(7)} ${size.padStart(10)}  ${time}  ${path}  (${where})`;
}

function matchJson(match: FindMatch): object {
  const node = match.node === null ? { type: 'dir', subtree: match.ids[0] } : treeToJson([match.node])[0];
  return { path: match.path, ...node, snapshots: match.snapshots, ...(match.ids.length === 0 ? {} : { ids: match.ids }) };
}

/**
 * A time flag: `2026-12-01`, `2026-12-01 14:30`, `2026-12-01 14:30:05` (or with `T`), in local
 * time, or an ISO time with its zone; nanoseconds since 1970. A date alone as the newest time
 * means the end of that day. ERR_USAGE naming the flag otherwise.
 */
function parseTime(flag: string, text: string, endOfDay: boolean): bigint {
  const local = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2}))?)?$/.exec(text);
  let ms: number;
  if (local !== null) {
    const [, y, mo, d, h, mi, s] = local.map(Number) as number[];
    const dateOnly = local[4] === undefined;
    const date = new Date(y!, mo! - 1, d!, dateOnly ? 0 : h!, dateOnly ? 0 : mi!, Number.isNaN(s) || s === undefined ? 0 : s);
    const valid = date.getFullYear() === y && date.getMonth() === mo! - 1 && date.getDate() === d;
    ms = valid ? date.getTime() + (dateOnly && endOfDay ? 86_400_000 - 1 : 0) : Number.NaN;
  } else {
    ms = /^\d{4}-\d{2}-\d{2}T.*(Z|[+-]\d{2}:?\d{2})$/.test(text) ? Date.parse(text) : Number.NaN;
  }
  if (Number.isNaN(ms)) throw usageError(`${flag} wants a date and time such as 2026-12-01 or "2026-12-01 14:30", not ${JSON.stringify(text)}`);
  return BigInt(ms) * 1_000_000n + (endOfDay && local !== null && local[4] === undefined ? 999_999n : 0n);
}

/** Repeated values (no default: commander would print "(default: [])" in the help). */
function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}
