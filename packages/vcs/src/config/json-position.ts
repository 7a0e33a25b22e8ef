/** True when `prefix` is valid JSON so far: it parses, or it only ends too early. */
function fineSoFar(prefix: string): boolean {
  try {
    JSON.parse(prefix);
    return true;
  } catch (error) {
    const message = error instanceof Error ? error.message : '';
    if (/Unexpected end/i.test(message)) return true;
    const position = /position (\d+)/.exec(message);
    return position !== null && Number(position[1]) >= prefix.length;
  }
}

/**
 * The offset of the first character that makes `text` invalid JSON, or null when it is valid.
 * Uses the position JSON.parse reports, else the shortest failing prefix (V8 leaves the position
 * out of some messages).
 */
export function jsonErrorOffset(text: string, message: string): number | null {
  const position = /position (\d+)/.exec(message);
  if (position !== null) return Number(position[1]);
  if (fineSoFar(text)) return null;
  let low = 0;
  let high = text.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (fineSoFar(text.slice(0, middle + 1))) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** 1-based line and column of `offset` in `text`. */
export function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  return { line: before.split('\n').length, column: offset - before.lastIndexOf('\n') };
}
