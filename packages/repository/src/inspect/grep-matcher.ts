import { CairnError } from '@cairn/core';

/** What a grep looks for: a JavaScript regular expression, or a literal string with `fixed`. */
export interface GrepPattern {
  readonly pattern: string;
  /** The pattern is a literal string, not a regular expression (grep -F). */
  readonly fixed?: boolean;
  /** Letters match in either case (grep -i). */
  readonly ignoreCase?: boolean;
  /** A match must be a whole word: no letter, digit or `_` just before or after it (grep -w). */
  readonly word?: boolean;
}

/** How much of one file's matches a search keeps. */
export interface LineOptions {
  /** Lines of context before and after each matching line (grep -B / -A). */
  readonly before?: number;
  readonly after?: number;
  /** Stop after this many matching lines (grep --max-count). */
  readonly maxCount?: number;
  /** Keep the lines themselves (false: only count them). */
  readonly keepLines?: boolean;
  /** Search files that look binary too (grep -a); default: skip them, as grep -I. */
  readonly binary?: boolean;
}

/** A line of a file in a grep result: a matching line or a context line. */
export interface GrepLine {
  /** 1-based line number. */
  readonly line: number;
  readonly text: string;
  /** False for a context line. */
  readonly match: boolean;
}

/** What searching one file content found. */
export interface ContentResult {
  /** A NUL in the first 8000 bytes (git's and grep's test): not searched. */
  readonly binary: boolean;
  /** A line longer than MAX_LINE_CHARS: searching stopped there (count holds what was found before). */
  readonly tooLong: boolean;
  /** Matching lines (at most maxCount). */
  readonly count: number;
  /** Matching and context lines, in order (empty unless keepLines). */
  readonly lines: GrepLine[];
  /** Plaintext bytes read. */
  readonly bytes: number;
}

/** git and GNU grep look for a NUL in this many first bytes to call a file binary. */
export const BINARY_PROBE_BYTES = 8000;

/** The longest line a search holds: lines are joined across blobs, so memory is bounded by this, not by the file. */
export const MAX_LINE_CHARS = 16 * 1024 * 1024;

const WORD = '[A-Za-z0-9_]';

/** The pattern as a RegExp matching within one line; ERR_USAGE naming the pattern when it is not a valid regular expression. */
export function compilePattern(pattern: GrepPattern, multiline = false): RegExp {
  if (pattern.pattern === '') throw new CairnError('ERR_USAGE', 'the pattern is empty', { hint: 'give the text or regular expression to look for' });
  let source = pattern.fixed === true ? pattern.pattern.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&') : pattern.pattern;
  if (pattern.word === true) source = `(?<!${WORD})(?:${source})(?!${WORD})`;
  try {
    return new RegExp(source, `${pattern.ignoreCase === true ? 'i' : ''}${multiline ? 'm' : ''}`);
  } catch (error) {
    throw new CairnError('ERR_USAGE', `bad regular expression ${JSON.stringify(pattern.pattern)}: ${(error as Error).message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /s, '')}`, {
      hint: 'patterns use JavaScript regular expression syntax; give -F to look for the text as it is',
    });
  }
}

/** A pattern compiled once for every file: per line, and (when safe) for a whole stretch of lines. */
export interface Matcher {
  readonly regex: RegExp;
  /** Tests a stretch of lines at once (multiline); null when the pattern has lookarounds, which could see across a newline. */
  readonly stretch: RegExp | null;
}

/** Compiles a pattern for searchContent; ERR_USAGE when it is not a valid regular expression. */
export function createMatcher(pattern: GrepPattern): Matcher {
  return { regex: compilePattern(pattern), stretch: pattern.fixed !== true && /\(\?<?[=!]/.test(pattern.pattern) ? null : compilePattern(pattern, true) };
}

/** One file's search fed its plaintext piece by piece (searchContent's synchronous core, which the grep worker runs). */
export interface ContentSearch {
  /** Searches the next piece; true once the search needs no more (binary, maxCount reached, a line too long). */
  push(chunk: Uint8Array): boolean;
  /** What was found, once every piece is pushed (or push said stop). */
  finish(): ContentResult;
}

/**
 * Starts searching one file given as its blobs' plaintext, in order, line by line as grep does.
 * Lines are joined across blob boundaries (a match straddling two blobs is found), and a stretch
 * of the file with no match anywhere is skipped with one test of the whole stretch. Stops once
 * maxCount matches and their trailing context are found.
 */
export function createContentSearch(matcher: Matcher, options: LineOptions = {}): ContentSearch {
  const { regex, stretch } = matcher;
  const before = options.before ?? 0;
  const after = options.after ?? 0;
  const maxCount = options.maxCount ?? Infinity;
  const keep = options.keepLines ?? true;
  const decoder = new TextDecoder('utf-8');
  const lines: GrepLine[] = [];
  const recent: { line: number; text: string }[] = [];
  let lineNo = 0;
  let count = 0;
  let afterLeft = 0;
  let bytes = 0;
  let probed = 0;
  let carry = '';
  let done = false;
  let ended: ContentResult | null = null;

  const onLine = (text: string): void => {
    lineNo += 1;
    if (count < maxCount && regex.test(text)) {
      count += 1;
      if (keep) {
        for (const r of recent) lines.push({ line: r.line, text: r.text, match: false });
        lines.push({ line: lineNo, text, match: true });
      }
      recent.length = 0;
      afterLeft = after;
    } else if (afterLeft > 0) {
      afterLeft -= 1;
      if (keep) lines.push({ line: lineNo, text, match: false });
    } else if (before > 0 && keep) {
      recent.push({ line: lineNo, text });
      if (recent.length > before) recent.shift();
    }
    if (count >= maxCount && afterLeft === 0) done = true;
  };

  const onStretch = (text: string): void => {
    if (afterLeft === 0 && stretch !== null && !stretch.test(text)) {
      // No line here matches: count the lines, keep the last `before` of them for context.
      let at = -1;
      let newlines = 0;
      while ((at = text.indexOf('\n', at + 1)) !== -1) newlines += 1;
      if (before > 0 && keep) {
        const tail = text.split('\n').slice(-before);
        const first = lineNo + newlines + 1 - tail.length + 1;
        recent.push(...tail.map((t, i) => ({ line: first + i, text: t })));
        recent.splice(0, Math.max(0, recent.length - before));
      }
      lineNo += newlines + 1;
      return;
    }
    for (const line of text.split('\n')) {
      onLine(line);
      if (done) return;
    }
  };

  return {
    push(chunk) {
      if (ended !== null) return true;
      bytes += chunk.length;
      if (options.binary !== true && probed < BINARY_PROBE_BYTES) {
        const probe = chunk.subarray(0, BINARY_PROBE_BYTES - probed);
        probed += probe.length;
        if (probe.includes(0)) {
          ended = { binary: true, tooLong: false, count: 0, lines: [], bytes };
          return true;
        }
      }
      // Only the new text is scanned for its last newline, so a long line costs its length once, not once per blob.
      const fresh = decoder.decode(chunk, { stream: true });
      const end = fresh.lastIndexOf('\n');
      if (end === -1) {
        carry += fresh;
      } else {
        onStretch(carry + fresh.slice(0, end));
        carry = fresh.slice(end + 1);
      }
      if (done) ended = { binary: false, tooLong: false, count, lines, bytes };
      else if (carry.length > MAX_LINE_CHARS) ended = { binary: false, tooLong: true, count, lines, bytes };
      return ended !== null;
    },
    finish() {
      if (ended === null) {
        const last = carry + decoder.decode();
        if (last !== '') onStretch(last);
        ended = { binary: false, tooLong: false, count, lines, bytes };
      }
      return ended;
    },
  };
}

/** Searches one file given as its blobs' plaintext, in order (createContentSearch over a stream); stops reading once the search needs no more. */
export async function searchContent(chunks: AsyncIterable<Uint8Array>, matcher: Matcher, options: LineOptions = {}): Promise<ContentResult> {
  const search = createContentSearch(matcher, options);
  for await (const chunk of chunks) if (search.push(chunk)) break;
  return search.finish();
}
