/** Two texts as side-by-side rows (the `diff` package finds the changed lines), long unchanged runs folded. */
import { diffLines } from 'diff';

/** One row: a line on each side (null: nothing on that side), or a fold of unchanged lines. */
export type Row =
  | { readonly kind: 'same' | 'changed' | 'removed' | 'added'; readonly left: { n: number; text: string } | null; readonly right: { n: number; text: string } | null }
  | { readonly kind: 'fold'; readonly count: number };

/** Unchanged lines kept around each change. */
const CONTEXT = 3;

function lines(value: string): string[] {
  const list = value.split('\n');
  if (list[list.length - 1] === '') list.pop();
  return list;
}

/** The rows of `before` against `after`. */
export function sideBySide(before: string, after: string): Row[] {
  const parts = diffLines(before, after);
  const rows: Row[] = [];
  let l = 1;
  let r = 1;
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    if (!part.added && !part.removed) {
      const same = lines(part.value);
      const keepHead = i === 0 ? 0 : CONTEXT;
      const keepTail = i === parts.length - 1 ? 0 : CONTEXT;
      same.forEach((text, k) => {
        const folded = same.length > keepHead + keepTail + 1 && k >= keepHead && k < same.length - keepTail;
        if (folded) {
          if (k === keepHead) rows.push({ kind: 'fold', count: same.length - keepHead - keepTail });
        } else rows.push({ kind: 'same', left: { n: l + k, text }, right: { n: r + k, text } });
      });
      l += same.length;
      r += same.length;
    } else if (part.removed) {
      const removed = lines(part.value);
      const next = parts[i + 1];
      const added = next?.added === true ? lines(next.value) : [];
      if (next?.added === true) i++;
      for (let k = 0; k < Math.max(removed.length, added.length); k++) {
        const left = k < removed.length ? { n: l + k, text: removed[k]! } : null;
        const right = k < added.length ? { n: r + k, text: added[k]! } : null;
        rows.push({ kind: left !== null && right !== null ? 'changed' : left !== null ? 'removed' : 'added', left, right });
      }
      l += removed.length;
      r += added.length;
    } else {
      const added = lines(part.value);
      added.forEach((text, k) => rows.push({ kind: 'added', left: null, right: { n: r + k, text } }));
      r += added.length;
    }
  }
  return rows;
}
