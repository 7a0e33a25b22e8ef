/** A typed array column of a struct-of-arrays table. */
export type Column = Int32Array | Uint32Array | Uint16Array | Uint8Array | Float64Array | BigInt64Array;

/** A copy of `column` with room for `length` entries (its entries first, zeros after). */
export function resized<C extends Column>(column: C, length: number): C {
  const next = new (column.constructor as new (length: number) => C)(length);
  (next as unknown as { set(source: C): void }).set(column.length <= length ? column : (column.subarray(0, length) as C));
  return next;
}

/** The capacity a column grows to when `needed` entries do not fit in `capacity`: doubling, then by 1/4. */
export function grownCapacity(capacity: number, needed: number): number {
  const grown = capacity < 1 << 16 ? capacity * 2 : capacity + (capacity >>> 2);
  return Math.max(needed, grown, 64);
}
