/** Keyboard navigation: j/k or arrows move through a list, Enter opens, Backspace or Escape goes up. */
import { useEffect, useRef, useState } from 'preact/hooks';

/** Whether a key event comes from a field the user types into. */
export function typing(event: KeyboardEvent): boolean {
  const target = event.target as HTMLElement | null;
  if (target === null) return false;
  return target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName);
}

/**
 * The selected row of a list of `count` rows, moved by j/k/arrows; Enter calls `open(row)`,
 * Backspace/Escape call `up` when given. The selected row scrolls into view (it carries `data-row`).
 */
export function useListKeys(count: number, open: (row: number) => void, up?: () => void, initial = 0): [number, (row: number) => void] {
  const start = (): number => Math.max(0, Math.min(initial, count - 1));
  const [kept, setSelected] = useState(start);
  // A new list, or a new row to start from (the file a page opened): select it in this render, so
  // that a key pressed as soon as the list shows moves from there (an effect would run after it
  // and undo the move).
  const shown = useRef({ initial, count });
  let selected = kept;
  if (shown.current.initial !== initial || shown.current.count !== count) {
    shown.current = { initial, count };
    selected = start();
    if (selected !== kept) setSelected(selected);
  }
  const latest = useRef({ count, open, up, selected });
  latest.current = { count, open, up, selected };
  useEffect(() => {
    const on = (event: KeyboardEvent) => {
      if (event.altKey || event.ctrlKey || event.metaKey || typing(event)) return;
      const { count: n, open: o, up: u, selected: s } = latest.current;
      let next = s;
      if (event.key === 'j' || event.key === 'ArrowDown') next = Math.min(n - 1, s + 1);
      else if (event.key === 'k' || event.key === 'ArrowUp') next = Math.max(0, s - 1);
      else if (event.key === 'Home') next = 0;
      else if (event.key === 'End') next = n - 1;
      else if (event.key === 'Enter') {
        if (s < n) o(s);
        event.preventDefault();
        return;
      } else if ((event.key === 'Backspace' || event.key === 'Escape') && u !== undefined) {
        u();
        event.preventDefault();
        return;
      } else return;
      event.preventDefault();
      setSelected(next);
      document.querySelector(`[data-row="${next}"]`)?.scrollIntoView({ block: 'nearest' });
    };
    document.addEventListener('keydown', on);
    return () => document.removeEventListener('keydown', on);
  }, []);
  return [selected, setSelected];
}

/** Backspace/Escape (outside a field) call `up`, for pages without a list. */
export function useUpKey(up: () => void): void {
  const latest = useRef(up);
  latest.current = up;
  useEffect(() => {
    const on = (event: KeyboardEvent) => {
      if (event.altKey || event.ctrlKey || event.metaKey || typing(event)) return;
      if (event.key === 'Backspace' || event.key === 'Escape') {
        latest.current();
        event.preventDefault();
      }
    };
    document.addEventListener('keydown', on);
    return () => document.removeEventListener('keydown', on);
  }, []);
}
