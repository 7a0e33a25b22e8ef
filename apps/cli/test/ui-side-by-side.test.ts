import { describe, expect, it } from 'vitest';
import { sideBySide } from '../web/src/pages/side-by-side.js';

const text = (lines: string[]) => `${lines.join('\n')}\n`;

describe('the page\'s side-by-side diff rows', () => {
  it('pairs a changed line with its replacement, numbers both sides and leaves a blank where a side has nothing', () => {
    expect(sideBySide(text(['a', 'b', 'c']), text(['a', 'B', 'c', 'd']))).toEqual([
      { kind: 'same', left: { n: 1, text: 'a' }, right: { n: 1, text: 'a' } },
      { kind: 'changed', left: { n: 2, text: 'b' }, right: { n: 2, text: 'B' } },
      { kind: 'same', left: { n: 3, text: 'c' }, right: { n: 3, text: 'c' } },
      { kind: 'added', left: null, right: { n: 4, text: 'd' } },
    ]);
  });

  it('folds a long unchanged run to three lines of context each side, and an absent side is all added', () => {
    const before = Array.from({ length: 20 }, (_, i) => `line ${i + 1}`);
    const after = [...before];
    after[0] = 'first';
    after[19] = 'last';
    const rows = sideBySide(text(before), text(after));
    expect(rows.map((r) => r.kind)).toEqual(['changed', 'same', 'same', 'same', 'fold', 'same', 'same', 'same', 'changed']);
    expect(rows[4]).toEqual({ kind: 'fold', count: 12 });
    expect(rows[8]).toEqual({ kind: 'changed', left: { n: 20, text: 'line 20' }, right: { n: 20, text: 'last' } });
    expect(sideBySide('', 'x\ny\n')).toEqual([
      { kind: 'added', left: null, right: { n: 1, text: 'x' } },
      { kind: 'added', left: null, right: { n: 2, text: 'y' } },
    ]);
  });
});
