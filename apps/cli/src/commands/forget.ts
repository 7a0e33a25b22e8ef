import type { Command } from 'commander';
import { nsToIso } from '@cairn/index';
import { forget, GROUP_KEYS, groupText, policyFromConfig } from '@cairn/repository/maintenance';
import type { SnapshotEntry } from '@cairn/repository';
import type { ForgetResult, GroupKey, PruneResult } from '@cairn/repository/maintenance';
import { refuseAppendOnly } from '../backend.js';
import { globals, openRepo, printJson } from '../context.js';
import { addKeepOptions, policyFromFlags } from '../retention-flags.js';
import { addSnapshotFilterFlags, snapshotFilter } from '../snapshot-filter.js';
import type { SnapshotFilterFlags } from '../snapshot-filter.js';
import type { KeepFlags } from '../retention-flags.js';
import { formatTable, formatTime, shortId } from '../format.js';
import { addPruneFlags, describePrune, pruneOptions, pruneShowingProgress } from './prune.js';
import { usageError } from '../usage.js';
import type { PruneFlags } from './prune.js';

interface ForgetFlags extends PruneFlags, KeepFlags, SnapshotFilterFlags {
  readonly groupBy: string;
  readonly unsafeAllowRemoveAll?: boolean;
  readonly dryRun?: boolean;
  readonly prune?: boolean;
  readonly utc?: boolean;
}

/** `cairn forget [ids…] --keep-…` */
export function registerForget(program: Command): void {
  addPruneFlags(addSnapshotFilterFlags(
    addKeepOptions(program
      .command('forget')
      .description('remove snapshots by a retention policy (or by id); their data goes with the next `cairn prune`')
      .argument('[snapshots...]', 'snapshot ids (or unique prefixes) to forget, instead of a policy'))
      .option('--group-by <keys>', 'apply the policy per group of host, paths and/or tags ("" for one group)', 'host,paths')
      .option('--unsafe-allow-remove-all', 'allow forgetting every snapshot selected (needs --host, --tag or --path)')
      .option('--utc', 'count hours, days, weeks, months and years in UTC instead of local time')
      .option('--dry-run', 'say what would be forgotten, remove nothing')
      .option('--prune', 'run `cairn prune` afterwards')),
  ).action(async (snapshots: string[], flags: ForgetFlags, command: Command) => {
    const options = globals(command);
    const given = policyFromFlags(flags);
    // Parsed before anything changes, also when no prune follows: a bad --grace is refused, not ignored.
    const pruning = pruneOptions(flags, flags.dryRun === true);
    const groupBy = parseGroupBy(flags.groupBy);
    const repo = await openRepo(options);
    if (flags.dryRun !== true) await refuseAppendOnly(repo.backend, 'forget');
    // No --keep-* and no ids: the policy stored with `cairn config retention`, if there is one.
    const stored = repo.config.retention;
    const policy = Object.keys(given).length === 0 && snapshots.length === 0 && stored !== undefined ? policyFromConfig(stored) : given;
    const result = await forget(repo, {
      policy,
      snapshots,
      groupBy,
      ...snapshotFilter(flags),
      allowRemoveAll: flags.unsafeAllowRemoveAll === true,
      dryRun: flags.dryRun === true,
      timeZone: flags.utc === true ? 'utc' : 'local',
    });
    const pruned: PruneResult | undefined = flags.prune === true && (result.removed.length > 0 || flags.dryRun === true)
      ? await pruneShowingProgress(repo, pruning, options.quiet !== true)
      : undefined;
    if (options.json === true) {
      printJson({ ...jsonOf(result), ...(pruned === undefined ? {} : { prune: pruned }) });
      return;
    }
    process.stdout.write(describeForget(result, pruned !== undefined));
    if (pruned !== undefined) process.stdout.write(describePrune(pruned, pruning.graceMs));
  });
}

/** The keys of a --group-by value ("host,paths"; "" for none); ERR_USAGE naming an unknown one. */
export function parseGroupBy(text: string): GroupKey[] {
  const keys = text.split(',').map((k) => k.trim()).filter((k) => k !== '');
  for (const key of keys) {
    if (!GROUP_KEYS.includes(key as GroupKey)) throw usageError(`--group-by takes host, paths and/or tags (or ""), not ${JSON.stringify(key)}`);
  }
  return keys as GroupKey[];
}

function describeForget(result: ForgetResult, pruning: boolean): string {
  const out: string[] = [`applying policy: ${result.policy}`];
  const row = (entry: SnapshotEntry, reasons?: readonly string[]): string[] => [
    shortId(entry.id),
    formatTime(entry.snapshot.time),
    entry.snapshot.hostname,
    entry.snapshot.tags.join(','),
    ...(reasons === undefined ? [] : [reasons.join(', ')]),
    entry.snapshot.paths.join(' '),
  ];
  for (const group of result.groups) {
    out.push('', `${groupText(group.key)}:`);
    if (group.keep.length > 0) {
      out.push(`keep ${group.keep.length} snapshot${group.keep.length === 1 ? '' : 's'}:`);
      out.push(formatTable(['ID', 'Time', 'Host', 'Tags', 'Reasons', 'Paths'], group.keep.map((k) => row(k.entry, k.reasons))));
    }
    if (group.remove.length > 0) {
      out.push(`remove ${group.remove.length} snapshot${group.remove.length === 1 ? '' : 's'}:`);
      out.push(formatTable(['ID', 'Time', 'Host', 'Tags', 'Paths'], group.remove.map((e) => row(e))));
    }
  }
  const count = result.groups.reduce((sum, g) => sum + g.remove.length, 0);
  out.push('', result.dryRun
    ? `would remove ${count} snapshot${count === 1 ? '' : 's'} (dry run: nothing changed)`
    : `removed ${result.removed.length} snapshot${result.removed.length === 1 ? '' : 's'}${result.removed.length === 0 ? '' : pruning ? '; pruning the data only they used:' : '; the data only they used is still stored: `cairn prune --grace 0` frees it now (`cairn prune` marks it, and a prune after the grace period frees it)'}`);
  return `${out.join('\n')}\n`;
}

function jsonOf(result: ForgetResult): Record<string, unknown> {
  const brief = (entry: SnapshotEntry) => ({ id: entry.id, time: nsToIso(entry.snapshot.time), hostname: entry.snapshot.hostname, paths: entry.snapshot.paths, tags: entry.snapshot.tags });
  return {
    policy: result.policy,
    dryRun: result.dryRun,
    groups: result.groups.map((g) => ({ key: g.key, keep: g.keep.map((k) => ({ ...brief(k.entry), reasons: k.reasons })), remove: g.remove.map(brief) })),
    removed: result.removed,
  };
}
