/**
 * The generators of commands and their parameters, with weights: backups of source roots are the
 * most frequent; kill -9 and device snapshots (a CLI process, a simulated board) the rarest.
 */
import fc from 'fast-check';
import { parseCalendarDuration } from '@cairn/repository';
import type { GroupKey, RetentionPolicy } from '@cairn/repository/maintenance';
import type { Model } from './model-state.js';
import type { World } from './world.js';
import { boardEditArb, editArb } from './edits.js';
import { BackupCommand } from './commands/backup.js';
import type { ExcludeChoice } from './commands/backup.js';
import type { RootsBackup } from './commands/backup.js';
import { CopyCommand } from './commands/copy.js';
import { DeviceBackupCommand } from './commands/device-backup.js';
import { DryRunCommand } from './commands/dry-run.js';
import { StdinBackupCommand } from './commands/stdin-backup.js';
import { ArchiveImportCommand } from './commands/archive-import.js';
import { ForgetCommand } from './commands/forget.js';
import { KillCommand } from './commands/kill.js';
import { PruneCommand, RepairIndexCommand } from './commands/maintenance.js';
import { QuotaBackupCommand } from './commands/quota-backup.js';
import { RestoreUndoCommand } from './commands/restore-undo.js';
import { TagCommand } from './commands/tag.js';
import type { TagChange, TagParams } from './commands/tag.js';
import { VcsBackupCommand } from './commands/vcs-backup.js';
import { ProtectCommand } from './commands/protect.js';

const hours = fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 30 }), fc.integer({ min: 31, max: 24 * 40 }));
const tags = fc.subarray(['keep', 'daily']);

/** One or two distinct roots, a host, tags, a clock step and 0–4 edits of the first root. */
const rootsBackup: fc.Arbitrary<RootsBackup> = fc.record({
  roots: fc.oneof({ weight: 3, arbitrary: fc.integer({ min: 0, max: 2 }).map((i) => [i]) }, { weight: 1, arbitrary: fc.uniqueArray(fc.integer({ min: 0, max: 2 }), { minLength: 2, maxLength: 2 }) }),
  host: fc.constantFrom(0 as const, 1 as const),
  tags,
  hours,
  edits: fc.array(editArb, { maxLength: 4 }),
  noDelta: fc.oneof({ weight: 4, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
  noGroup: fc.oneof({ weight: 4, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
});

/** Mostly none; else a pattern or a size (see ExcludeChoice). */
const excludeArb: fc.Arbitrary<ExcludeChoice> = fc.oneof(
  { weight: 4, arbitrary: fc.constant(null) },
  { weight: 2, arbitrary: fc.record({ pattern: fc.constantFrom('d3', 'b', 'd1/a'), caseInsensitive: fc.constant(false) }) },
  { weight: 1, arbitrary: fc.record({ pattern: fc.constantFrom('D2', 'B'), caseInsensitive: fc.constant(true) }) },
  { weight: 1, arbitrary: fc.record({ largerThan: fc.constantFrom(0, 3000, 16_384) }) },
);

/** A retention policy (may be empty: then forget refuses, and so does the quota). */
export const policyArb: fc.Arbitrary<RetentionPolicy> = fc.record(
  {
    last: fc.integer({ min: 0, max: 3 }),
    hourly: fc.integer({ min: 0, max: 2 }),
    daily: fc.integer({ min: 0, max: 3 }),
    weekly: fc.integer({ min: 0, max: 2 }),
    monthly: fc.integer({ min: 0, max: 2 }),
    yearly: fc.integer({ min: 0, max: 1 }),
    within: fc.constantFrom('2d', '21d', '36h', '1m').map(parseCalendarDuration),
    tags: fc.constantFrom([['keep']], [['daily']], [['keep', 'daily']]),
  },
  { requiredKeys: [] },
);

/** A tag for the tag command: the backups' own, a new one, and now and then pre-restore or protect (which tag refuses to move). */
const tagName = fc.oneof({ weight: 6, arbitrary: fc.constantFrom('keep', 'daily', 'moved') }, { weight: 1, arbitrary: fc.constantFrom('pre-restore', 'protect') });

/** A tag command: snapshots by index or by a tag they carry; set tags, or add and remove some. */
const tagParams: fc.Arbitrary<TagParams> = fc.record({
  select: fc.oneof(
    { weight: 3, arbitrary: fc.record({ picks: fc.array(fc.nat(50), { minLength: 1, maxLength: 2 }) }) },
    { weight: 1, arbitrary: fc.record({ withTag: fc.constantFrom('keep', 'daily', 'moved') }) },
  ),
  change: fc.oneof(
    { weight: 1, arbitrary: fc.record({ set: fc.uniqueArray(tagName, { maxLength: 2 }) }) },
    { weight: 2, arbitrary: fc.record({ add: fc.uniqueArray(tagName, { maxLength: 2 }), remove: fc.uniqueArray(tagName, { maxLength: 1 }) }).filter((c) => c.add.length + c.remove.length > 0) },
  ) as fc.Arbitrary<TagChange>,
});

const groupBy = fc.constantFrom<readonly GroupKey[]>(['host', 'paths'], ['host', 'paths'], ['host'], [], ['host', 'paths', 'tags']);

type Arb = fc.Arbitrary<fc.AsyncCommand<Model, World>>;

/** Every command generator by kind, with how often it is picked (fc.commands picks evenly among the list's entries). */
const KINDS: readonly { readonly kind: string; readonly weight: number; readonly arb: Arb }[] = [
  { kind: 'backup', weight: 3, arb: fc.tuple(rootsBackup, excludeArb).map(([p, exclude]) => new BackupCommand({ ...p, exclude })) },
  { kind: 'dry-run', weight: 1, arb: fc.tuple(rootsBackup, excludeArb).map(([p, exclude]) => new DryRunCommand({ ...p, exclude })) },
  { kind: 'stdin-backup', weight: 1, arb: fc.record({ name: fc.constantFrom('stdin' as const, 'dump.sql' as const), size: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 200_000 })), seed: fc.integer({ min: 1, max: 3 }), hours }).map((p) => new StdinBackupCommand(p)) },
  { kind: 'archive-import', weight: 1, arb: fc.record({ pick: fc.nat(50), format: fc.constantFrom('tar' as const, 'zip' as const), hours }).map((p) => new ArchiveImportCommand(p)) },
  { kind: 'vcs-backup', weight: 1, arb: fc.record({ change: fc.constantFrom('none' as const, 'commit' as const, 'stash' as const, 'edit' as const, 'push' as const), hours }).map((p) => new VcsBackupCommand(p)) },
  { kind: 'forget-ids', weight: 1, arb: fc.record({ by: fc.constant('ids' as const), picks: fc.array(fc.nat(50), { minLength: 1, maxLength: 2 }) }).map((p) => new ForgetCommand(p)) },
  { kind: 'forget-policy', weight: 2, arb: fc.record({ by: fc.constant('policy' as const), policy: policyArb, groupBy }).map((p) => new ForgetCommand(p)) },
  { kind: 'prune', weight: 2, arb: fc.record({ graceZero: fc.oneof({ weight: 3, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }), maxUnused: fc.constantFrom(0, 0.1, 1) }).map((p) => new PruneCommand(p)) },
  { kind: 'quota-backup', weight: 1, arb: fc.record({ limitPercent: fc.integer({ min: 40, max: 300 }), policy: fc.option(policyArb, { nil: null }) }).chain((q) => rootsBackup.map((p) => new QuotaBackupCommand({ ...p, ...q }))) },
  { kind: 'tag', weight: 1, arb: tagParams.map((p) => new TagCommand(p)) },
  { kind: 'copy', weight: 1, arb: fc.record({ side: fc.constantFrom('plain' as const, 'encrypted' as const), direction: fc.constantFrom('out' as const, 'out' as const, 'in' as const), picks: fc.array(fc.nat(50), { minLength: 1, maxLength: 2 }) }).map((p) => new CopyCommand(p)) },
  { kind: 'protect', weight: 2, arb: fc.record({ root: fc.integer({ min: 0, max: 2 }), path: fc.constantFrom('', 'a', 'b', 'd1', 'd1/a', 'd2', 'c'), edits: fc.array(editArb, { maxLength: 4 }), then: fc.constantFrom('rollback' as const, 'rollback' as const, 'commit' as const), keep: fc.integer({ min: 1, max: 3 }), hours }).map((p) => new ProtectCommand(p)) },
  { kind: 'restore-undo', weight: 2, arb: fc.record({ pick: fc.nat(50) }).map((p) => new RestoreUndoCommand(p)) },
  { kind: 'repair-index', weight: 1, arb: fc.record({ dropIndex: fc.boolean() }).map((p) => new RepairIndexCommand(p)) },
  { kind: 'kill', weight: 1, arb: fc.record({ what: fc.constantFrom('backup' as const, 'prune' as const), delayMs: fc.integer({ min: 0, max: 2500 }), backup: rootsBackup }).map((p) => new KillCommand(p)) },
  { kind: 'device-backup', weight: 1, arb: fc.record({ edits: fc.array(boardEditArb, { maxLength: 3 }), hours }).map((p) => new DeviceBackupCommand(p)) },
];

/** The command generators, without the kinds named in `skip` (CAIRN_MODEL_SKIP, for hunting a second bug while a first is known). */
export function commandArbs(skip: readonly string[]): Arb[] {
  const unknown = skip.filter((kind) => !KINDS.some((k) => k.kind === kind));
  if (unknown.length > 0) throw new RangeError(`CAIRN_MODEL_SKIP names unknown commands: ${unknown.join(', ')} (known: ${KINDS.map((k) => k.kind).join(', ')})`);
  return KINDS.filter((k) => !skip.includes(k.kind)).flatMap((k) => Array.from({ length: k.weight }, () => k.arb));
}
