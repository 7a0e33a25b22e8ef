/** The pieces of a write as a list, each checked to be a Uint8Array (TypeError naming the piece otherwise). */
export function toPieces(data: Uint8Array | readonly Uint8Array[]): readonly Uint8Array[] {
  const pieces = data instanceof Uint8Array ? [data] : data;
  if (!Array.isArray(pieces)) throw new TypeError(`data must be a Uint8Array or an array of them, got ${typeof data}`);
  pieces.forEach((piece: unknown, i) => {
    if (!(piece instanceof Uint8Array)) throw new TypeError(`data[${i}] must be a Uint8Array, got ${typeof piece}`);
  });
  return pieces;
}

/** Total length of `pieces` in bytes. */
export function totalLength(pieces: readonly Uint8Array[]): number {
  return pieces.reduce((sum, piece) => sum + piece.byteLength, 0);
}

/** A fresh Uint8Array holding `pieces` one after the other. */
export function concatPieces(pieces: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(totalLength(pieces));
  let at = 0;
  for (const piece of pieces) {
    out.set(piece, at);
    at += piece.byteLength;
  }
  return out;
}

/** True when `stored` holds exactly the bytes of `pieces`. */
export function samePieces(stored: Uint8Array, pieces: readonly Uint8Array[]): boolean {
  if (stored.byteLength !== totalLength(pieces)) return false;
  let at = 0;
  for (const piece of pieces) {
    const part = stored.subarray(at, at + piece.byteLength);
    if (Buffer.compare(part, piece) !== 0) return false;
    at += piece.byteLength;
  }
  return true;
}
