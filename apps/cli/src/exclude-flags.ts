
/**
 * The selection flags of `cairn backup`, spelled and read as restic's: --exclude, --iexclude,
 * --exclude-file, --iexclude-file, --exclude-if-present, --exclude-caches, --exclude-larger-than,
 * --files-from, --one-file-system. They become the engine's ExcludeOptions (applied by the walk)
 * and extra backup paths; every bad value is an ERR_USAGE naming the flag (and file and line).
 */
import { lstatSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { compileExcludePattern, EXCLUDED_CLASS, parseExcludeMarker, parseExcludeSize } from '@cairn/repository';
import type { BackupResult, ExcludeMarker, ExcludeOptions } from '@cairn/repository';
import { skippedLine } from './snapshot-report.js';
import { parseFlag, usageError } from './usage.js';
import { shortId } from './format.js';

/** The selection flags as commander gives them. */
export interface SelectionFlags {
  readonly exclude: string[];
  readonly iexclude: string[];
  readonly excludeFile: string[];
  readonly iexcludeFile: string[];
  readonly excludeIfPresent: string[];
  readonly excludeCaches?: boolean;
  readonly excludeLargerThan?: string;
  readonly filesFrom: string[];
  readonly oneFileSystem?: boolean;
}

/** What the selection flags ask of a backup. */
export interface Selection {
  /** For backup()'s `exclude`; undefined when no flag excludes anything. */
  readonly exclude: ExcludeOptions | undefined;
  /** The paths --files-from lists, absolute, each checked to exist. */
  readonly paths: string[];
}

/** The CACHEDIR.TAG marker of the Cache Directory Tagging Specification (restic's --exclude-caches). */
const CACHEDIR_TAG: ExcludeMarker = { name: 'CACHEDIR.TAG', header: 'Signature: 8a477f597d28d172789f06886806bc55' };

/** Adds the selection flags to `backup`. */
export function addSelectionFlags(command: Command): Command {
  return command
    .option('-e, --exclude <pattern>', 'leave out what matches the pattern (repeatable): a glob per path component (* ? [a-z] [^a-z] \\x), ** for any folders, a leading / anchors at the root, else it matches at any depth', collect, [])
    .option('--iexclude <pattern>', 'like --exclude, but case-insensitive (repeatable)', collect, [])
    .option('--exclude-file <file>', 'read --exclude patterns from a file, one per line; blank lines and lines starting with # are ignored, $VAR and ${VAR} are expanded (repeatable)', collect, [])
    .option('--iexclude-file <file>', 'like --exclude-file, but case-insensitive (repeatable)', collect, [])
    .option('--exclude-if-present <filename[:header]>', 'in a folder holding this file (starting with header, when given), keep only that file (repeatable)', collect, [])
    .option('--exclude-caches', 'leave out the contents of folders holding a CACHEDIR.TAG (the tag itself is kept)')
    .option('--exclude-larger-than <size>', 'leave out files larger than size: bytes, or with K, M, G, T (1024-based): 10M, 1.5G')
    .option('--files-from <file>', 'back up the paths listed in a file, one per line, relative to the current folder; blank lines and lines starting with # are ignored; - reads standard input (repeatable)', collect, [])
    .option('-x, --one-file-system', 'do not cross filesystem boundaries below the given paths: a mount point is kept as an empty folder');
}

/**
 * Reads the selection flags: the exclude files and --files-from lists (each missing or
 * unreadable file is one ERR_USAGE line naming it), every pattern and size checked.
 */
export function readSelection(flags: SelectionFlags): Selection {
  const patterns = flags.exclude.map((pattern) => checked('--exclude', pattern, false));
  const insensitive = flags.iexclude.map((pattern) => checked('--iexclude', pattern, true));
  for (const file of flags.excludeFile) patterns.push(...patternsIn('--exclude-file', file, false));
  for (const file of flags.iexcludeFile) insensitive.push(...patternsIn('--iexclude-file', file, true));
  const markers = flags.excludeIfPresent.map((spec) => parseFlag('--exclude-if-present', spec, parseExcludeMarker));
  if (flags.excludeCaches === true) markers.push(CACHEDIR_TAG);
  const largerThan = flags.excludeLargerThan === undefined ? undefined : parseFlag('--exclude-larger-than', flags.excludeLargerThan, parseExcludeSize);
  const exclude: ExcludeOptions = {
    ...(patterns.length === 0 ? {} : { patterns }),
    ...(insensitive.length === 0 ? {} : { caseInsensitivePatterns: insensitive }),
    ...(markers.length === 0 ? {} : { markers }),
    ...(largerThan === undefined ? {} : { largerThan }),
    ...(flags.oneFileSystem === true ? { oneFileSystem: true } : {}),
  };
  const paths = [...new Set(flags.filesFrom.flatMap((file) => pathsIn(file)))];
  return { exclude: Object.keys(exclude).length === 0 ? undefined : exclude, paths };
}

/** The lines of a backup's output on what the selection flags left out (the first ten, and how many more). */
export function excludedLines(result: BackupResult): string[] {
  const excluded = (result.snapshot.skipped ?? []).filter((entry) => entry.class === EXCLUDED_CLASS);
  if (excluded.length === 0) return [];
  return [
    `excluded by the exclude flags: ${excluded.length}`,
    ...excluded.slice(0, 10).map(skippedLine),
    ...(excluded.length > 10 ? [`  … and ${excluded.length - 10} more (cairn stats ${shortId(result.id)} lists them all)`] : []),
  ];
}

function checked(flag: string, pattern: string, caseInsensitive: boolean): string {
  parseFlag(flag, pattern, (text) => compileExcludePattern(text, { caseInsensitive }));
  return pattern;
}

/** The patterns of an exclude file: trimmed lines, without blank ones and # comments, $VAR expanded (as restic reads them). */
function patternsIn(flag: string, file: string, caseInsensitive: boolean): string[] {
  const patterns: string[] = [];
  for (const { text, line } of linesOf(flag, file)) {
    const pattern = expandEnv(text.trim());
    if (pattern === '' || pattern.startsWith('#')) continue;
    patterns.push(checked(`${flag} ${file} line ${line}`, pattern, caseInsensitive));
  }
  return patterns;
}

/** The paths a --files-from list names (lines kept as they are but for a trailing CR), each checked to exist. */
function pathsIn(file: string): string[] {
  const paths: string[] = [];
  for (const { text, line } of linesOf('--files-from', file)) {
    const path = text.endsWith('\r') ? text.slice(0, -1) : text;
    if (path.trim() === '' || path.startsWith('#')) continue;
    const absolute = resolve(path);
    try {
      lstatSync(absolute);
    } catch (error) {
      throw usageError(`--files-from ${file} line ${line}: cannot back up ${path}: ${reasonOf(error)} (${absolute})`);
    }
    paths.push(absolute);
  }
  return paths;
}

/** The lines of a file (or of standard input for "-"); ERR_USAGE naming the flag and file when it cannot be read. */
function linesOf(flag: string, file: string): { text: string; line: number }[] {
  let content: string;
  try {
    content = readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (error) {
    throw usageError(`${flag} ${file}: cannot read it: ${reasonOf(error)}`);
  }
  return content.split('\n').map((text, i) => ({ text, line: i + 1 }));
}

/** $NAME and ${NAME} replaced by the environment's value, empty when unset (Go's os.ExpandEnv, as restic's exclude files). */
function expandEnv(text: string): string {
  return text.replace(/\$(?:\{([^}]*)\}|([A-Za-z0-9_]+))/g, (_match, braced: string | undefined, plain: string | undefined) => process.env[braced ?? plain ?? ''] ?? '');
}

function reasonOf(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return 'no such file or folder';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'it is a folder';
  return error instanceof Error ? error.message : String(error);
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}
