import picomatch from 'picomatch';
import { CairnError } from '@cairn/core';

/** Decides which snapshot paths a restore (or a grep) takes: those matching a pattern, and everything below them. */
export interface Selection {
  /** True when `path` itself matches one of the patterns (or there are no patterns). */
  matches(path: string): boolean;
  /** Patterns that matched nothing so far. */
  unmatched(): string[];
}

/**
 * Builds a Selection from paths or globs relative to the snapshot root ("proj/src", "proj/**\/*.ts", "*.md").
 * ERR_USAGE for an empty one ("" or "/"): leaving the paths out selects everything.
 */
export function createSelection(patterns: readonly string[]): Selection {
  const cleaned = patterns.map((pattern) => pattern.replace(/^\/+/, '').replace(/\/+$/, ''));
  const empty = patterns.find((_pattern, i) => cleaned[i] === '');
  if (empty !== undefined) {
    throw new CairnError('ERR_USAGE', `the path ${JSON.stringify(empty)} names no entry of the snapshot`, { hint: 'leave the paths out to take everything' });
  }
  if (cleaned.length === 0) return { matches: () => true, unmatched: () => [] };
  // A glob without '/' ("*.md") matches names at any depth, as in .gitignore; a path ("proj/src") is exact.
  const matchers = cleaned.map((pattern) => {
    const anyDepth = picomatch.scan(pattern).isGlob && !pattern.includes('/');
    return { pattern, test: picomatch(pattern, { dot: true, basename: anyDepth }), hit: false };
  });
  return {
    matches(path) {
      let any = false;
      for (const matcher of matchers) {
        if (matcher.test(path)) {
          matcher.hit = true;
          any = true;
        }
      }
      return any;
    },
    unmatched: () => matchers.filter((m) => !m.hit).map((m) => m.pattern),
  };
}
