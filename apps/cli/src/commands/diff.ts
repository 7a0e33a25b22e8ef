import type { Command } from 'commander';
import { treeToJson } from '@cairn/index';
import { diffContent, diffSnapshots, DIFF_MARKS } from '@cairn/repository';
import type { ContentDiff, DiffChange, DiffResult, DiffSide, Repository, SnapshotFilter } from '@cairn/repository';
import { globals, openRepo, resolveSnapshot } from '../context.js';
import { emit, emitItem } from '../output.js';
import { formatBytes, shortId } from '../format.js';
import { addSnapshotFilterFlags, snapshotFilter } from '../snapshot-filter.js';
import type { SnapshotFilterFlags } from '../snapshot-filter.js';
import { parseNumber, usageError } from '../usage.js';

interface DiffFlags extends SnapshotFilterFlags {
  readonly stat?: boolean;
  readonly content?: boolean;
  readonly context: string;
}

/** `cairn diff <snapA> <snapB>` */
export function registerDiff(program: Command): void {
  addSnapshotFilterFlags(program
    .command('diff')
    .description('show what changed between two snapshots (+ added, - removed, M content, U metadata only, T type, R renamed)')
    .argument('<from>', 'the older snapshot: id, unique prefix or "latest", optionally with :path (3fa2:acme/src)')
    .argument('<to>', 'the newer snapshot, the same way')
    .option('--stat', 'bytes added and removed per entry (for a changed file: of the chunks the other side lacks)')
    .option('--content', 'a unified diff of each changed text file (text: no NUL in its first 8 KiB)')
    .option('--context <lines>', 'lines of context around each change with --content', '3'))
    .action(async (fromArg: string, toArg: string, flags: DiffFlags, command: Command) => {
      const options = globals(command);
      const context = parseNumber('--context', flags.context, { min: 0, max: 1_000_000, what: 'a number of lines' });
      const filter = snapshotFilter(flags);
      const from = splitSide(fromArg);
      const to = splitSide(toArg);
      const repo = await openRepo(options);
      const result = await diffSnapshots(repo, await resolveSide(repo, from, filter), await resolveSide(repo, to, filter));
      if (options.json === true) await printJsonLines(repo, result, flags.content === true, context);
      else await printLines(repo, result, flags, context);
    });
}

/** "3fa2:acme/src" -> ref and path (snapshot ids and "latest" hold no ':'). */
function splitSide(arg: string): DiffSide {
  const at = arg.indexOf(':');
  const ref = at < 0 ? arg : arg.slice(0, at);
  if (ref === '') throw usageError(`diff: ${JSON.stringify(arg)} names no snapshot`, 'give an id, a unique prefix or "latest", then optionally :path');
  return at < 0 ? { ref } : { ref, path: arg.slice(at + 1) };
}

/** The side with its snapshot's full id (`latest` chosen by the filter flags). */
async function resolveSide(repo: Repository, side: DiffSide, filter: SnapshotFilter): Promise<DiffSide> {
  const { id } = await resolveSnapshot(repo, side.ref, filter);
  return side.path === undefined ? { ref: id } : { ref: id, path: side.path };
}

async function printLines(repo: Repository, result: DiffResult, flags: DiffFlags, context: number): Promise<void> {
  const name = (side: DiffResult['from']): string => `${shortId(side.id)}${side.path === '' ? '' : `:${side.path}`}`;
  const out = (text: string): boolean => process.stdout.write(text);
  out(`comparing snapshot ${name(result.from)} to ${name(result.to)}:\n\n`);
  for (const change of result.changes) {
    out(`${changeLine(change, flags.stat === true)}\n`);
    if (flags.content === true && isFileChange(change)) out(contentText(change, await diffContent(repo, change, { context })));
  }
  const { added, removed, modified, metadata, typeChanged, renamed } = result.summary;
  if (result.changes.length > 0) out('\n');
  out([
    `Files:   ${added.files} new, ${removed.files} removed, ${modified} changed, ${renamed} renamed, ${metadata} metadata only, ${typeChanged} type changed`,
    `Dirs:    ${added.dirs} new, ${removed.dirs} removed`,
    `Others:  ${added.others} new, ${removed.others} removed`,
    `Added:   ${formatBytes(added.bytes)}`,
    `Removed: ${formatBytes(removed.bytes)}`,
  ].join('\n') + '\n');
}

/** "M proj/a.txt", "R old -> new", "+ dir/"; with --stat the bytes added and removed. */
function changeLine(change: DiffChange, stat: boolean): string {
  const node = change.after ?? change.before;
  const slash = node?.type === 'dir' ? '/' : '';
  const path = change.oldPath === undefined ? `${change.path}${slash}` : `${change.oldPath} -> ${change.path}`;
  const fields = change.fields === undefined ? '' : ` (${change.fields.join(', ')})`;
  const bytes = stat ? `  +${change.addedBytes} -${change.removedBytes}` : '';
  return `${DIFF_MARKS[change.kind]} ${path}${fields}${bytes}`;
}

function isFileChange(change: DiffChange): boolean {
  return change.kind === 'modified' && change.before?.type === 'file' && change.after?.type === 'file';
}

/** The lines --content prints under a changed file. */
function contentText(change: DiffChange, diff: ContentDiff): string {
  switch (diff.kind) {
    case 'text':
      return diff.patch;
    case 'binary':
      return `Binary files a/${change.path} and b/${change.path} differ\n`;
    case 'reference':
      return `(recorded by its VCS id: ${change.before?.ref?.id ?? 'stored'} -> ${change.after?.ref?.id ?? 'stored'}; no text diff)\n`;
    case 'too-large':
      return `(larger than ${formatBytes(diff.limit)}: no text diff)\n`;
  }
}

async function printJsonLines(repo: Repository, result: DiffResult, content: boolean, context: number): Promise<void> {
  // One `change` line each, then the summary (docs/JSON.md).
  for (const change of result.changes) {
    const item: Record<string, unknown> = {
      kind: change.kind,
      mark: DIFF_MARKS[change.kind],
      path: change.path,
      ...(change.oldPath === undefined ? {} : { oldPath: change.oldPath }),
      addedBytes: change.addedBytes,
      removedBytes: change.removedBytes,
      ...(change.fields === undefined ? {} : { fields: change.fields }),
      ...(change.before === undefined ? {} : { before: treeToJson([change.before])[0] }),
      ...(change.after === undefined ? {} : { after: treeToJson([change.after])[0] }),
    };
    if (content && isFileChange(change)) {
      const diff = await diffContent(repo, change, { context });
      item.content = diff.kind;
      if (diff.kind === 'text') item.patch = diff.patch;
    }
    emitItem('change', item);
  }
  emit('summary', { from: result.from, to: result.to, count: result.changes.length, ...result.summary });
}
