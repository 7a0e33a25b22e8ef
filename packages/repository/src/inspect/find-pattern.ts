import picomatch from 'picomatch';
import { CairnError } from '@cairn/core';

/**
 * The patterns of `find`, matched one path component at a time so that a walk can carry where
 * it is in each pattern (its scope) down the tree instead of the whole path:
 * - without '/', a glob matched against an entry's name, at any depth (`*.json`, `config.*`);
 * - with '/', against the end of the entry's path, at any depth (`src/*.ts`);
 * - with a leading '/', against the whole path from the snapshot's root (`/acme/src/*.ts`).
 * `**` as a component matches any number of components. Components are picomatch globs
 * (`*`, `?`, `[a-z]`, `{a,b}`; a leading dot is nothing special). Unlike restic's find, the
 * entries below a matching folder do not match too: write `foo/**` for them.
 */

type Part = { readonly kind: 'any' } | { readonly kind: 'name'; readonly text: string } | { readonly kind: 'glob'; readonly re: RegExp };

/** Where a walk is in a pattern: the sorted positions reached so far (an NFA's states). */
export type PatternState = readonly number[];

/** A compiled find pattern. */
export interface FindPattern {
  readonly text: string;
  /** The state at the snapshot's root. */
  readonly start: PatternState;
  /** True when the pattern's matches do not depend on the path above an entry (a name pattern). */
  readonly nameOnly: boolean;
  /** Steps into the entry `name` below a folder in `state`: whether the entry matches, and the state of its folder (null: nothing below can match). */
  step(state: PatternState, name: string): { readonly hit: boolean; readonly next: PatternState | null };
}

const GLOB_CHARS = /[*?[\]{}()!+@\\]/;

/** Compiles a find pattern (see above); ERR_USAGE naming the pattern when it is empty or malformed. */
export function compileFindPattern(text: string, options: { readonly caseInsensitive?: boolean } = {}): FindPattern {
  const bad = (why: string): CairnError => new CairnError('ERR_USAGE', `find pattern ${JSON.stringify(text)} ${why}`, {
    hint: 'give a name or glob (*.json), a path at any depth (src/*.ts) or a path from the snapshot root (/acme/src/*.ts)',
  });
  if (typeof text !== 'string' || text.trim() === '') throw bad('is empty');
  const nocase = options.caseInsensitive === true;
  const anchored = text.startsWith('/');
  const components = text.split('/').filter((c) => c !== '' && c !== '.');
  if (components.length === 0) throw bad('names the snapshot root, not an entry of it');
  if (components.includes('..')) throw bad('holds "..": name entries by their path in the snapshot');
  if (components.every((c) => c === '**')) throw bad('matches every entry: give a name or glob');
  const parts: Part[] = components.map((c): Part => {
    if (c === '**') return { kind: 'any' };
    if (!GLOB_CHARS.test(c)) return { kind: 'name', text: nocase ? c.toLowerCase() : c };
    let re: RegExp;
    try {
      re = picomatch.makeRe(c, { dot: true, nocase });
    } catch (error) {
      throw bad(`is not a valid glob (${(error as Error).message})`);
    }
    // picomatch turns a glob it cannot read (a reversed range [z-a]) into a regex that matches nothing.
    if (re.source === '$^') throw bad(`is not a valid glob: "${c}" can match nothing`);
    return { kind: 'glob', re };
  });
  const end = parts.length;

  /** Adds `i` and, past each `**` (zero components), the positions after it. */
  const close = (into: Set<number>, i: number): void => {
    into.add(i);
    if (parts[i]?.kind === 'any') close(into, i + 1);
  };
  const startSet = new Set<number>();
  close(startSet, 0);
  const start = [...startSet].sort((a, b) => a - b);

  const nameOnly = !anchored && parts.length === 1 && parts[0]!.kind !== 'any';
  if (nameOnly) {
    // The common case: the state never changes, so the answers are two constants.
    const part = parts[0] as Exclude<Part, { kind: 'any' }>;
    const hit = { hit: true, next: start } as const;
    const miss = { hit: false, next: start } as const;
    const test = part.kind === 'name'
      ? (name: string): boolean => (nocase ? name.toLowerCase() : name) === part.text
      : (name: string): boolean => part.re.test(name);
    return { text, start, nameOnly, step: (_state, name) => (test(name) ? hit : miss) };
  }
  return {
    text,
    start,
    nameOnly,
    step(state, name) {
      const lower = nocase ? name.toLowerCase() : name;
      const next = new Set<number>();
      for (const i of state) {
        const part = parts[i];
        if (part === undefined) continue;
        if (part.kind === 'any') {
          close(next, i); // `**` takes this component and may take more
          continue;
        }
        if (part.kind === 'name' ? part.text === lower : part.re.test(name)) close(next, i + 1);
      }
      const hit = next.has(end);
      if (!anchored) for (const i of start) next.add(i); // a match may begin at any depth
      next.delete(end);
      if (next.size === 0 && !hit) return { hit, next: null };
      return { hit, next: next.size === 0 ? null : [...next].sort((a, b) => a - b) };
    },
  };
}
