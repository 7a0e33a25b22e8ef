import type { Command } from 'commander';
import { grep, pickaxe } from '@cairn/repository';
import type { GrepHit, GrepOptions, GrepSnapshot, PickaxeSpan } from '@cairn/repository';
import { globals, openRepo } from '../context.js';
import { formatBytes, shortId } from '../format.js';
import { withInterrupt } from '../interrupt.js';
import { emit, emitItem, jsonOutput } from '../output.js';
import { startProgress } from '../progress.js';
import { addSnapshotFilterFlags, snapshotFilter } from '../snapshot-filter.js';
import type { SnapshotFilterFlags } from '../snapshot-filter.js';
import { parseCount, usageError } from '../usage.js';

interface GrepFlags extends SnapshotFilterFlags {
  ignoreCase?: boolean;
  fixedStrings?: boolean;
  wordRegexp?: boolean;
  filesWithMatches?: boolean;
  count?: boolean;
  lineNumber?: boolean;
  afterContext?: string;
  beforeContext?: string;
  context?: string;
  maxCount?: string;
  text?: boolean;
  introduced?: boolean;
  removed?: boolean;
  snapshot?: string[];
}

/** `cairn grep <pattern> [paths…]` */
export function registerGrep(program: Command): void {
  addSnapshotFilterFlags(program
    .command('grep')
    .description('search the files of every snapshot for a pattern; each distinct content is read once')
    .argument('<pattern>', 'a JavaScript regular expression (with -F: text as it is)')
    .argument('[paths...]', 'paths or globs in the snapshots to search (as restore takes them; no "/" = any depth)')
    .option('-i, --ignore-case', 'letters match in either case')
    .option('-F, --fixed-strings', 'the pattern is text, not a regular expression')
    .option('-w, --word-regexp', 'match whole words only')
    .option('-l, --files-with-matches', 'print only the paths (and snapshots) that match')
    .option('-c, --count', 'print the number of matching lines of each path')
    .option('-n, --line-number', 'print line numbers')
    .option('-A, --after-context <n>', 'lines of context after each match')
    .option('-B, --before-context <n>', 'lines of context before each match')
    .option('-C, --context <n>', 'lines of context before and after each match')
    .option('-m, --max-count <n>', 'stop reading a file after n matching lines')
    .option('-a, --text', 'search binary files too (default: skip files with a NUL in their first 8000 bytes)')
    .option('--snapshot <id>', 'only this snapshot (id, unique prefix or "latest"; repeatable)', (value: string, previous: string[] | undefined) => [...(previous ?? []), value])
    .option('--introduced', 'when the pattern appeared: for each matching path, the first snapshot of each host and paths where it matches')
    .option('--removed', 'when the pattern went away: the snapshot after the last one where it matches'))
    .action(async (pattern: string, paths: string[], flags: GrepFlags, command: Command) => {
      const options = globals(command);
      const count = (flag: string, value: string | undefined): number | undefined => (value === undefined ? undefined : parseCount(flag, value, 'a number of lines'));
      const context = count('--context', flags.context);
      const maxCount = count('--max-count', flags.maxCount);
      if (maxCount === 0) throw usageError('--max-count wants at least 1 line');
      const pickaxeMode = flags.introduced === true || flags.removed === true;
      const grepOptions: GrepOptions = {
        pattern,
        fixed: flags.fixedStrings === true,
        ignoreCase: flags.ignoreCase === true,
        word: flags.wordRegexp === true,
        paths,
        filter: snapshotFilter(flags),
        snapshots: flags.snapshot ?? [],
        binary: flags.text === true,
        before: count('--before-context', flags.beforeContext) ?? context ?? 0,
        after: count('--after-context', flags.afterContext) ?? context ?? 0,
        keepLines: flags.filesWithMatches !== true && flags.count !== true,
        ...(flags.filesWithMatches === true ? { maxCount: 1 } : maxCount === undefined ? {} : { maxCount }),
      };
      const repo = await openRepo(options);
      const bar = startProgress({ command: 'grep', enabled: options.quiet !== true, initial: { phase: 'search', done: 0, total: null } });
      let stopped = false;
      const progress = {
        set: bar.set,
        stop: (): void => {
          if (!stopped) bar.stop();
          stopped = true;
        },
      };
      const withProgress: GrepOptions = { ...grepOptions, onProgress: (p) => progress.set({ done: p.contents, total: p.totalContents, bytesDone: p.bytes }) };
      const started = performance.now();
      try {
        if (pickaxeMode) {
          const { spans, summary } = await withInterrupt((signal) => pickaxe(repo, { ...withProgress, signal }));
          progress.stop();
          const shown = spans.filter((span) => flags.introduced === true || span.removed !== null);
          for (const span of shown) {
            if (jsonOutput()) emitItem('span', span);
            else process.stdout.write(`${spanLine(span, flags)}\n`);
          }
          if (jsonOutput()) emit('summary', { count: shown.length, ...summary, seconds: seconds(started) });
          return;
        }
        let hits = 0;
        const printHit = (hit: GrepHit): void => {
          hits += 1;
          if (jsonOutput()) {
            emitItem('match', hit);
            return;
          }
          const head = `${hit.path} (${holders(hit.snapshots)})`;
          if (flags.filesWithMatches === true) process.stdout.write(`${head}\n`);
          else if (flags.count === true) process.stdout.write(`${head}: ${hit.count}\n`);
          else process.stdout.write(`${head}\n${hitLines(hit, flags.lineNumber === true)}`);
        };
        const summary = await withInterrupt((signal) => grep(repo, { ...withProgress, signal }, printHit));
        progress.stop();
        if (jsonOutput()) emit('summary', { count: hits, ...summary, seconds: seconds(started) });
        else if (options.verbose === true) {
          process.stderr.write(`${summary.matchingFiles} matching files; searched ${summary.contents} distinct contents of ${summary.files} files in ${summary.snapshots} snapshots: ${formatBytes(summary.bytesDecompressed)} read for ${formatBytes(summary.logicalBytes)} of files\n`);
        }
      } finally {
        progress.stop();
      }
    });
}

/** "in a1b2c3d4" or "in a1b2c3d4, +6 more" (the oldest first). */
function holders(snapshots: readonly GrepSnapshot[]): string {
  const first = snapshots[0];
  if (first === undefined) return 'in no snapshot';
  return `in ${shortId(first.id)}${snapshots.length > 1 ? `, +${snapshots.length - 1} more` : ''}`;
}

/** The lines of a hit as grep prints them: `12:` before a match, `13-` before context, `--` between runs. */
function hitLines(hit: GrepHit, numbers: boolean): string {
  let out = '';
  let previous = 0;
  for (const line of hit.lines) {
    if (previous !== 0 && line.line > previous + 1) out += '--\n';
    out += `${numbers ? `${line.line}${line.match ? ':' : '-'}` : ''}${line.text}\n`;
    previous = line.line;
  }
  return out;
}

function spanLine(span: PickaxeSpan, flags: GrepFlags): string {
  const at = (s: GrepSnapshot): string => `${shortId(s.id)} ${s.time.slice(0, 19).replace('T', ' ')}Z`;
  const parts = [span.path];
  if (flags.introduced === true) parts.push(`introduced ${at(span.introduced)}`);
  parts.push(span.removed === null ? `still in ${at(span.last)}` : `last ${at(span.last)}, removed ${at(span.removed)}`);
  return `${parts.join('  ')}  (${span.host}: ${span.paths.join(' ')})`;
}

function seconds(started: number): number {
  return Math.round(performance.now() - started) / 1000;
}
