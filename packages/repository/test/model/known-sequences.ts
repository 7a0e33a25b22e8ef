/**
 * The data-loss sequences of issue 10, written as model commands: every model run plays them
 * first (fast-check `examples`), so they stay covered whatever the seed draws.
 */
import type fc from 'fast-check';
import { ArchiveImportCommand } from './commands/archive-import.js';
import { BackupCommand } from './commands/backup.js';
import { CopyCommand } from './commands/copy.js';
import { ForgetCommand } from './commands/forget.js';
import { PruneCommand } from './commands/maintenance.js';
import { ProtectCommand } from './commands/protect.js';
import { QuotaBackupCommand } from './commands/quota-backup.js';
import { RestoreUndoCommand } from './commands/restore-undo.js';
import { StdinBackupCommand } from './commands/stdin-backup.js';
import { TagCommand } from './commands/tag.js';
import { VcsBackupCommand } from './commands/vcs-backup.js';
import type { Model } from './model-state.js';
import type { World } from './world.js';

const plain = { roots: [0], host: 0, tags: [], hours: 1 } as const;

/** Named command sequences, one per issue item they reproduce. */
export const KNOWN_SEQUENCES: readonly { readonly item: string; readonly commands: readonly fc.AsyncCommand<Model, World>[] }[] = [
  {
    item: '1: prune deletes the saved git state of a vcs changes snapshot',
    commands: [new VcsBackupCommand({ change: 'commit', hours: 1 }), new PruneCommand({ graceZero: true, maxUnused: 0 })],
  },
  {
    item: '2: a size limit with a retention policy deletes every snapshot',
    commands: [
      new BackupCommand({ ...plain, edits: [] }),
      new QuotaBackupCommand({ ...plain, limitPercent: 200, policy: { last: 1 }, edits: [{ op: 'write', path: 'b', size: 70_000, seed: 4 }, { op: 'write', path: 'c', size: 70_000, seed: 5 }] }),
    ],
  },
  {
    item: 'model: a policy that keeps none of a group (tags it lacks) is refused, nothing forgotten (CI drew it: seed 1324461141)',
    commands: [
      new BackupCommand({ ...plain, roots: [1, 0], edits: [] }),
      new ForgetCommand({ by: 'policy', policy: { tags: [['keep']] }, groupBy: ['host', 'paths'] }),
    ],
  },
  {
    item: '4: a pre-restore snapshot makes retention forget the real backup',
    commands: [
      new BackupCommand({ ...plain, edits: [] }),
      new BackupCommand({ ...plain, edits: [{ op: 'write', path: 'a', size: 100, seed: 3 }] }),
      new RestoreUndoCommand({ pick: 0 }),
      new ForgetCommand({ by: 'policy', policy: { last: 1 }, groupBy: ['host', 'paths'] }),
    ],
  },
  {
    item: 'issue 17: a protect snapshot of a backup\'s very paths becomes the next backup\'s parent, or makes forget drop the real backup',
    commands: [
      new BackupCommand({ ...plain, edits: [] }),
      new BackupCommand({ ...plain, edits: [{ op: 'write', path: 'a', size: 100, seed: 3 }] }),
      new ProtectCommand({ root: 0, path: '', edits: [{ op: 'delete', path: 'a' }, { op: 'write', path: 'c', size: 20_000, seed: 2 }], then: 'commit', keep: 1, hours: 1 }),
      new ForgetCommand({ by: 'policy', policy: { last: 1 }, groupBy: ['host', 'paths'] }),
      new BackupCommand({ ...plain, edits: [{ op: 'write', path: 'a', size: 200, seed: 4 }] }),
    ],
  },
  {
    item: 'issue 17: protect, a change that deletes and creates files, rollback; retention keeps the last one',
    commands: [
      new ProtectCommand({ root: 1, path: 'd1', edits: [{ op: 'delete', path: 'd1/b' }, { op: 'write', path: 'd1/a', size: 17_000, seed: 5 }, { op: 'mkdir', path: 'd1/d3' }], then: 'rollback', keep: 1, hours: 1 }),
      new ProtectCommand({ root: 1, path: 'd1', edits: [{ op: 'write', path: 'd1', size: 10, seed: 1 }], then: 'rollback', keep: 1, hours: 1 }),
      new ProtectCommand({ root: 1, path: 'c', edits: [{ op: 'write', path: 'c', size: 10, seed: 1 }], then: 'rollback', keep: 1, hours: 1 }),
    ],
  },
  {
    item: 'found by the long run (seed 20261205): a change put a symlink where a protected file\'s folder was; the rollback must refuse, not write through it',
    commands: [
      new ProtectCommand({ root: 0, path: 'd1/a', edits: [{ op: 'symlink', path: 'd1', target: 'd1' }], then: 'rollback', keep: 1, hours: 0 }),
      new ProtectCommand({ root: 0, path: 'd1/a', edits: [], then: 'rollback', keep: 1, hours: 1 }),
      new ProtectCommand({ root: 1, path: 'd1/a', edits: [{ op: 'mkdir', path: 'd2' }, { op: 'symlink', path: 'd1', target: 'd2' }], then: 'rollback', keep: 1, hours: 1 }),
      new ProtectCommand({ root: 2, path: 'd1/a', edits: [{ op: 'write', path: 'd1', size: 10, seed: 2 }], then: 'rollback', keep: 1, hours: 1 }),
    ],
  },
  {
    item: '5: restore deletes a non-empty folder where the snapshot has a file',
    commands: [
      new BackupCommand({ ...plain, edits: [{ op: 'write', path: 'd2', size: 100, seed: 3 }] }),
      new BackupCommand({ ...plain, edits: [{ op: 'write', path: 'd2/c', size: 100, seed: 3 }] }),
      new RestoreUndoCommand({ pick: 0 }),
    ],
  },
  {
    item: 'tag rewrites snapshots (new file first), keeps pre-restore snapshots what they are, and forget keeps by the new tags',
    commands: [
      new BackupCommand({ ...plain, edits: [] }),
      new BackupCommand({ ...plain, edits: [{ op: 'write', path: 'a', size: 100, seed: 3 }] }),
      new RestoreUndoCommand({ pick: 0 }),
      new TagCommand({ select: { picks: [2] }, change: { set: [] } }),
      new TagCommand({ select: { picks: [0] }, change: { add: ['keep'], remove: [] } }),
      new TagCommand({ select: { withTag: 'keep' }, change: { add: ['keep'], remove: [] } }),
      new ForgetCommand({ by: 'policy', policy: { last: 1, tags: [['keep']] }, groupBy: ['host', 'paths'] }),
    ],
  },
  {
    item: 'issue 17: a snapshot dumped as tar and as zip and imported back restores to its tree (hardlinks, symlinks, an absolute one)',
    commands: [
      new BackupCommand({ ...plain, edits: [{ op: 'write', path: 'b', size: 70_000, seed: 2 }, { op: 'hardlink', path: 'd1/a', to: 'b' }, { op: 'symlink', path: 'd1/s', target: '/etc/hostname' }, { op: 'symlink', path: 'up', target: '../a' }] }),
      new ArchiveImportCommand({ pick: 0, format: 'tar', hours: 1 }),
      new ArchiveImportCommand({ pick: 0, format: 'zip', hours: 1 }),
    ],
  },
  {
    item: 'found by the long run (seed 424242): restore --backup-existing of an imported stream snapshot (a snapshot of "/" holding stdin) checked no entry of it',
    commands: [
      new StdinBackupCommand({ name: 'stdin', size: 1, seed: 1, hours: 0 }),
      new ArchiveImportCommand({ pick: 0, format: 'tar', hours: 31 }),
      new RestoreUndoCommand({ pick: 1 }),
    ],
  },
  {
    item: 'restore --backup-existing of an imported snapshot of "/" over changed files saves what it overwrites',
    commands: [
      new BackupCommand({ ...plain, edits: [{ op: 'write', path: 'a', size: 100, seed: 3 }] }),
      new ArchiveImportCommand({ pick: 0, format: 'zip', hours: 1 }),
      new BackupCommand({ ...plain, edits: [{ op: 'write', path: 'a', size: 200, seed: 4 }, { op: 'write', path: 'd1/b', size: 10, seed: 5 }] }),
      new RestoreUndoCommand({ pick: 1 }),
    ],
  },
  {
    item: 'found by the long run (seed 20261204): restore --backup-existing did not save an entry a hardlink replaces',
    commands: [
      new BackupCommand({ ...plain, edits: [{ op: 'write', path: 'b', size: 0, seed: 1 }, { op: 'hardlink', path: 'd1/a', to: 'b' }] }),
      new BackupCommand({ ...plain, edits: [{ op: 'symlink', path: 'd1/a', target: '/etc/hostname' }] }),
      new RestoreUndoCommand({ pick: 0 }),
    ],
  },
  {
    item: 'copy: out to a plain and an encrypted repository, forget and prune, back in; the forgotten snapshot returns, the kept one is skipped',
    commands: [
      new BackupCommand({ ...plain, edits: [] }),
      new BackupCommand({ ...plain, edits: [{ op: 'write', path: 'a', size: 30_000, seed: 6 }] }),
      new CopyCommand({ side: 'plain', direction: 'out', picks: [0, 1] }),
      new CopyCommand({ side: 'encrypted', direction: 'out', picks: [0] }),
      new ForgetCommand({ by: 'ids', picks: [0] }),
      new PruneCommand({ graceZero: true, maxUnused: 0 }),
      new CopyCommand({ side: 'encrypted', direction: 'in', picks: [] }),
      new CopyCommand({ side: 'plain', direction: 'in', picks: [] }),
    ],
  },
  {
    item: 'delta blobs: patched files stored as deltas, the snapshots of their bases forgotten and pruned (repacking), a --no-delta backup between',
    commands: [
      new BackupCommand({ ...plain, edits: [{ op: 'write', path: 'a', size: 60_000, seed: 2 }, { op: 'write', path: 'd1/b', size: 20_000, seed: 3 }] }),
      new BackupCommand({ ...plain, edits: [{ op: 'patch', path: 'a', seed: 1 }, { op: 'patch', path: 'd1/b', seed: 5 }] }),
      new BackupCommand({ ...plain, edits: [{ op: 'patch', path: 'a', seed: 3 }], noDelta: true }),
      new BackupCommand({ ...plain, edits: [{ op: 'patch', path: 'a', seed: 6 }, { op: 'modify', path: 'd1/b', seed: 2 }] }),
      new ForgetCommand({ by: 'ids', picks: [0, 0] }),
      new PruneCommand({ graceZero: true, maxUnused: 0 }),
      new BackupCommand({ ...plain, edits: [{ op: 'patch', path: 'a', seed: 4 }] }),
      new ForgetCommand({ by: 'policy', policy: { last: 1 }, groupBy: ['host', 'paths'] }),
      new PruneCommand({ graceZero: true, maxUnused: 0 }),
    ],
  },
  {
    item: 'delta blobs meet copy: patched files (deltas) copied out to a plain and an encrypted repository, the snapshots of their bases forgotten and pruned, copied back in',
    commands: [
      new BackupCommand({ ...plain, edits: [{ op: 'write', path: 'a', size: 60_000, seed: 7 }] }),
      new BackupCommand({ ...plain, edits: [{ op: 'patch', path: 'a', seed: 2 }] }),
      new CopyCommand({ side: 'plain', direction: 'out', picks: [1] }),
      new CopyCommand({ side: 'encrypted', direction: 'out', picks: [1] }),
      new ForgetCommand({ by: 'ids', picks: [0, 0] }),
      new PruneCommand({ graceZero: true, maxUnused: 0 }),
      new CopyCommand({ side: 'plain', direction: 'in', picks: [] }),
      new CopyCommand({ side: 'encrypted', direction: 'in', picks: [] }),
    ],
  },
  {
    item: 'grouped small blobs: small files written in groups, half of them deleted and their snapshot forgotten and pruned (live members regrouped), a --no-group backup between, copied out and back in',
    commands: [
      new BackupCommand({ ...plain, edits: [1, 2, 3, 4, 5, 6].map((seed) => ({ op: 'text' as const, path: seed % 2 === 0 ? `d1/s${seed}` : `s${seed}`, size: 900 * seed, seed })) }),
      new BackupCommand({ ...plain, edits: [{ op: 'delete', path: 's1' }, { op: 'delete', path: 'd1/s4' }, { op: 'text', path: 's7', size: 3000, seed: 7 }, { op: 'text', path: 's8', size: 200, seed: 8 }], noGroup: true }),
      new BackupCommand({ ...plain, edits: [{ op: 'delete', path: 's3' }, { op: 'text', path: 'd1/s9', size: 5000, seed: 9 }, { op: 'text', path: 'd1/s10', size: 700, seed: 10 }] }),
      new CopyCommand({ side: 'plain', direction: 'out', picks: [2] }),
      new ForgetCommand({ by: 'ids', picks: [0, 0] }),
      new PruneCommand({ graceZero: true, maxUnused: 0 }),
      new CopyCommand({ side: 'plain', direction: 'in', picks: [] }),
    ],
  },
];
