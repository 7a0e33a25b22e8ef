import { CairnError } from '@cairn/core';

/**
 * The one item whose id (`idOf`) starts with `prefix` (hex digits). `what` names the kind
 * in messages ("snapshot", "pack"); `listHint` says how to see them all.
 */
export function matchIdPrefix<T>(items: readonly T[], idOf: (item: T) => string, prefix: string, what: string, listHint: string): T {
  if (!/^[0-9a-f]+$/.test(prefix)) {
    throw new CairnError('ERR_USAGE', `"${prefix}" is not a ${what} id: give hex digits of an id${what === 'snapshot' ? ', or "latest"' : ''}`);
  }
  const found = items.filter((item) => idOf(item).startsWith(prefix));
  const [item, second] = found;
  if (item === undefined) throw new CairnError('ERR_NOT_FOUND', `no ${what} has an id starting with "${prefix}"`, { hint: listHint });
  if (second !== undefined) {
    throw new CairnError('ERR_AMBIGUOUS', `${what} id prefix "${prefix}" matches ${found.length} ${what}s: ${found.map((f) => idOf(f).slice(0, 12)).join(', ')}`, {
      hint: 'give more digits of the id',
    });
  }
  return item;
}
