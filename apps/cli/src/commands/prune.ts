import type { Command } from 'commander';
import { parseInterval } from '@cairn/repository';
import type { Repository } from '@cairn/repository';
import { DEFAULT_GRACE_MS, DEFAULT_MAX_UNUSED, parseMaxUnused, prune } from '@cairn/repository/maintenance';
import type { PruneOptions, PruneResult } from '@cairn/repository/maintenance';
import { refuseAppendOnly } from '../backend.js';
import { globals, openRepo, printJson } from '../context.js';
import { formatBytes, formatTime } from '../format.js';
import { withInterrupt } from '../interrupt.js';
import { startProgress } from '../progress.js';
import { parseFlag } from '../usage.js';

/** The prune flags `prune` and `forget --prune` share. */
export interface PruneFlags {
  readonly grace?: string;
  readonly maxUnused?: string;
}

/** Adds --grace and --max-unused to a command. */
export function addPruneFlags(command: Command): Command {
  return command
    .option('--grace <interval>', `how long marked data waits before a prune may delete it (e.g. 0, 30m, 2h; default ${DEFAULT_GRACE_MS / 3_600_000}h)`)
    .option('--max-unused <limit>', `unused share of the repository to tolerate in partly used packs: N% or "unlimited" (default ${DEFAULT_MAX_UNUSED * 100}%)`);
}

/** PruneOptions from the shared flags; ERR_USAGE naming a bad --grace or --max-unused. */
export function pruneOptions(flags: PruneFlags, dryRun: boolean): PruneOptions {
  return {
    dryRun,
    ...(flags.grace === undefined ? {} : { graceMs: parseFlag('--grace', flags.grace, parseInterval) }),
    ...(flags.maxUnused === undefined ? {} : { maxUnused: parseFlag('--max-unused', flags.maxUnused, parseMaxUnused) }),
  };
}

/** `cairn prune` */
export function registerPrune(program: Command): void {
  addPruneFlags(
    program
      .command('prune')
      .description('remove data no snapshot uses: safe while other processes back up (see docs/FORMAT.md, "Locks and prune")')
      .option('--dry-run', 'say what would be done, change nothing'),
  ).action(async (flags: PruneFlags & { dryRun?: boolean }, command: Command) => {
    const options = globals(command);
    const repo = await openRepo(options);
    if (flags.dryRun !== true) await refuseAppendOnly(repo.backend, 'prune');
    // Ctrl-C (or SIGTERM) stops it at a point where stopping is safe: before a deletion starts, or between repacked packs.
    const pruning = pruneOptions(flags, flags.dryRun === true);
    const result = await pruneShowingProgress(repo, pruning, options.quiet !== true);
    if (options.json === true) printJson(result);
    else process.stdout.write(describePrune(result, pruning.graceMs));
  });
}

/** Runs a prune that Ctrl-C stops safely, with its progress (phase, packs done of total) when `shown`: for `prune` and `forget --prune`. */
export async function pruneShowingProgress(repo: Repository, pruning: PruneOptions, shown: boolean): Promise<PruneResult> {
  const progress = startProgress({ command: 'prune', enabled: shown, initial: { phase: 'plan', done: 0, total: null } });
  return withInterrupt((signal) => prune(repo, { ...pruning, signal, onProgress: (p) => progress.set({ phase: p.phase, done: p.done, total: p.total }) }))
    .finally(() => progress.stop());
}

/**
 * The lines `cairn prune` prints for a result: what was freed now, what was marked, what is
 * pending and when it goes (the grace period), and how to free it at once.
 */
export function describePrune(result: PruneResult, graceMs: number = DEFAULT_GRACE_MS): string {
  const lines: string[] = [];
  const d = result.deleted;
  const freed = result.dryRun ? 'would free now' : 'freed now';
  lines.push(d.packs === 0 ? `${freed}: nothing (no pack deleted)` : `${freed}: ${formatBytes(d.bytes)} (${plural(d.packs, 'pack')} deleted)`);
  if (result.keptAgain > 0) lines.push(`kept ${plural(result.keptAgain, 'marked pack')}: a snapshot uses ${result.keptAgain === 1 ? 'it' : 'them'} again`);
  const m = result.marked;
  const markedPacks = m.unused.packs + m.repacked.packs + m.unindexed.packs;
  if (markedPacks > 0) {
    const parts = [`${m.unused.packs} unused`];
    if (m.repacked.packs > 0) parts.push(`${m.repacked.packs} repacked${result.dryRun ? '' : ` (their used data copied into ${plural(m.repacked.newPacks, 'new pack')}, ${formatBytes(m.repacked.newBytes)})`}`);
    if (m.unindexed.packs > 0) parts.push(`${m.unindexed.packs} in no index`);
    lines.push(`${result.dryRun ? 'would mark' : 'marked'} ${plural(markedPacks, 'pack')} (${formatBytes(m.unused.bytes + m.repacked.bytes + m.unindexed.bytes)}) for deletion: ${parts.join(', ')}`);
  } else {
    lines.push('nothing new to mark: every pack is in use');
  }
  const p = result.pending;
  if (p.packs > 0) {
    const what = `pending: ${plural(p.packs, 'pack')} (${formatBytes(p.bytes)})`;
    if (p.waitingFor.length > 0) {
      lines.push(`${what}, deleted by the first prune run while no backup runs; waiting for:`, ...p.waitingFor.map((w) => `  ${w}`));
    } else {
      lines.push(`${what}, deleted by the first prune run after ${formatTime(BigInt(p.dueAt ?? Date.now()) * 1_000_000n)} (the grace period, ${graceText(graceMs)}, protects writers that take no lease)`);
      lines.push('to free them now: cairn prune --grace 0 (safe: while a backup runs, it deletes nothing)');
    }
  }
  for (const note of result.notes) lines.push(`note: ${note}`);
  return `${lines.join('\n')}\n`;
}

/** A grace period as the --grace flag takes it: "1h", "30m", "45s". */
function graceText(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  return `${Math.round(ms / 1000)}s`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
