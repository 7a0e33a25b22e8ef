import { posix } from 'node:path';

/** One component of a pattern: `**` (any number of components), a plain name, or a glob. */
type Part = { readonly kind: 'any' } | { readonly kind: 'name'; readonly text: string } | { readonly kind: 'glob'; readonly re: RegExp };

/** A compiled exclude pattern. */
export interface ExcludePattern {
  /** The pattern as given. */
  readonly text: string;
  readonly caseInsensitive: boolean;
  /** True when the absolute '/'-separated `path` matches (or lies below something that matches). */
  matches(path: string): boolean;
  /** matches() for a path already split into its components (lower-cased for a case-insensitive pattern). */
  matchesComponents(components: readonly string[]): boolean;
}

/**
 * Compiles a pattern with restic's exclude syntax: '/'-separated components, each matched
 * whole against one path component with Go's filepath.Match rules (`*` any run of characters,
 * `?` one character, `[a-z]` / `[^a-z]` classes, `\` escapes the next character; a leading dot
 * is nothing special), `**` as a component for any number of components. A leading `/` anchors
 * the pattern at the root; otherwise it matches at any depth. The path of an entry below a
 * match matches too. The pattern is cleaned first (`foo/` is `foo`, `./foo` is `foo`).
 * Case-insensitive patterns compare lower-cased pattern and path, as restic's --iexclude does.
 * RangeError naming the pattern for an empty or malformed one.
 *
 * The components follow Go's rules, not a shell's (no braces, extglobs or `[!…]`), so that an
 * exclude file written for restic means the same here: that is why this is not picomatch.
 */
export function compileExcludePattern(text: string, options: { readonly caseInsensitive?: boolean } = {}): ExcludePattern {
  if (typeof text !== 'string' || text.trim() === '') throw new RangeError(`an exclude pattern must not be empty, got ${JSON.stringify(text)}`);
  if (text.startsWith('!')) throw new RangeError(`exclude pattern ${JSON.stringify(text)}: negated patterns (a leading "!") are not supported; write "\\!" for a name that starts with "!"`);
  const caseInsensitive = options.caseInsensitive === true;
  const cleaned = clean(caseInsensitive ? text.toLowerCase() : text);
  const anchored = cleaned.startsWith('/');
  const parts = cleaned.split('/').filter((part, i) => !(i === 0 && anchored && part === '')).map((part) => compilePart(part, text));
  const matchesComponents = (components: readonly string[]): boolean => {
    if (anchored) return matchFrom(parts, 0, components, 0);
    for (let start = 0; start < components.length; start += 1) if (matchFrom(parts, 0, components, start)) return true;
    return false;
  };
  const matches = (path: string): boolean => matchesComponents((caseInsensitive ? path.toLowerCase() : path).split('/').filter((c) => c !== ''));
  return { text, caseInsensitive, matches, matchesComponents };
}

/** Go's filepath.Clean for '/' paths: no repeated slashes, no `.`, `..` resolved, no trailing slash. */
function clean(text: string): string {
  const normal = posix.normalize(text);
  return normal.length > 1 && normal.endsWith('/') ? normal.slice(0, -1) : normal;
}

/** Whether `parts[pi…]` matches `components[ci…]` from its start (components may be left over: they lie below the match). */
function matchFrom(parts: readonly Part[], pi: number, components: readonly string[], ci: number): boolean {
  const part = parts[pi];
  if (part === undefined) return true;
  if (part.kind === 'any') {
    for (let next = ci; next <= components.length; next += 1) if (matchFrom(parts, pi + 1, components, next)) return true;
    return false;
  }
  const component = components[ci];
  if (component === undefined) return false;
  const hit = part.kind === 'name' ? part.text === component : part.re.test(component);
  return hit && matchFrom(parts, pi + 1, components, ci + 1);
}

function compilePart(part: string, pattern: string): Part {
  if (part === '**') return { kind: 'any' };
  if (!/[*?[\\]/.test(part)) return { kind: 'name', text: part };
  const bad = (why: string): RangeError => new RangeError(`exclude pattern ${JSON.stringify(pattern)}: ${why}`);
  let source = '';
  let i = 0;
  const chars = [...part];
  /** One character of a class, `\` escaping the next; `-` and `]` must be escaped (Go's rule). */
  const classChar = (): string => {
    let c = chars[i];
    if (c === undefined) throw bad('a "[" is never closed');
    if (c === '-' || c === ']') throw bad(`"${c}" inside "[…]" must be escaped as "\\${c}"`);
    i += 1;
    if (c === '\\') {
      c = chars[i];
      if (c === undefined) throw bad('a "[" is never closed');
      i += 1;
    }
    return c;
  };
  while (i < chars.length) {
    const c = chars[i++] as string;
    if (c === '*') source += '.*';
    else if (c === '?') source += '.';
    else if (c === '\\') {
      const next = chars[i++];
      if (next === undefined) throw bad('it ends with a lone "\\"');
      source += literal(next);
    } else if (c === '[') {
      const negate = chars[i] === '^';
      if (negate) i += 1;
      const ranges: string[] = [];
      let count = 0;
      for (;;) {
        if (chars[i] === ']' && count > 0) {
          i += 1;
          break;
        }
        const lo = classChar();
        let hi = lo;
        if (chars[i] === '-') {
          i += 1;
          hi = classChar();
        }
        count += 1;
        // Go compares code points: a range whose ends are reversed matches nothing.
        if ((lo.codePointAt(0) ?? 0) <= (hi.codePointAt(0) ?? 0)) ranges.push(`${literal(lo)}-${literal(hi)}`);
      }
      if (ranges.length === 0) source += negate ? '.' : '(?!)';
      else source += `[${negate ? '^' : ''}${ranges.join('')}]`;
    } else {
      source += literal(c);
    }
  }
  return { kind: 'glob', re: new RegExp(`^${source}$`, 'su') };
}

/** A character as a regular-expression literal (inside or outside a class). */
function literal(c: string): string {
  return `\\u{${(c.codePointAt(0) ?? 0).toString(16)}}`;
}
