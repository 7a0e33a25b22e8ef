import { CairnError, ID_LENGTH } from '@cairn/core';
import type { Id } from '@cairn/core';
import { describeValue } from './describe-value.js';
import { checkFormatVersion } from './format-version.js';

/** A decoded msgpack map. */
export type WireMap = Readonly<Record<string, unknown>>;

/**
 * Checks the shape of values decoded from one file. Every failure is ERR_FORMAT whose
 * message names the file (`where`), what it is (`kind`) and the field's path in it.
 */
export interface FieldReader {
  /** Throws ERR_FORMAT: `<where>: malformed <kind>: <path> <problem>`. */
  fail(path: string, problem: string): never;
  /** A map; with `keys`, any other key is refused. */
  map(value: unknown, path: string, keys?: readonly string[]): WireMap;
  array(value: unknown, path: string): readonly unknown[];
  string(value: unknown, path: string): string;
  /** An unsigned integer up to 2^53 - 1, as a number (msgpack may give number or bigint). */
  uint(value: unknown, path: string): number;
  /** Any integer, as a bigint. */
  int(value: unknown, path: string): bigint;
  /** An unsigned integer, as a bigint. */
  uint64(value: unknown, path: string): bigint;
  /** A bin of 32 bytes, copied (it never aliases the file's bytes). */
  id(value: unknown, path: string): Id;
  /** The top-level map with its `v` checked: ERR_VERSION for another version. */
  /**
   * The top-level map, after checking its format version `v` (1 to `newest`) and that its keys
   * are among `keys`; `version` is what it says.
   */
  root(value: unknown, keys: readonly string[], newest?: number): WireMap & { readonly v: number };
}

/** A FieldReader for the file `where`, a `kind` ("index file", "tree", "snapshot"). */
export function createFieldReader(where: string, kind: string): FieldReader {
  const fail = (path: string, problem: string): never => {
    throw new CairnError('ERR_FORMAT', `${where}: malformed ${kind}: ${path} ${problem}`);
  };
  const expected = (value: unknown, path: string, what: string): never =>
    value === undefined ? fail(path, 'is missing') : fail(path, `is ${describeValue(value)}, expected ${what}`);

  const map = (value: unknown, path: string, keys?: readonly string[]): WireMap => {
    if (!isPlainObject(value)) return expected(value, path, 'a map');
    if (keys !== undefined) {
      for (const key of Object.keys(value)) {
        if (!keys.includes(key)) fail(`${path}.${key}`, 'is not a known key');
      }
    }
    return value;
  };
  const uint64 = (value: unknown, path: string): bigint => {
    if (typeof value === 'bigint' && value >= 0n) return value;
    if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return BigInt(value);
    return expected(value, path, 'an unsigned integer');
  };

  return {
    fail,
    map,
    array: (value, path) => (Array.isArray(value) ? value : expected(value, path, 'an array')),
    string: (value, path) => (typeof value === 'string' ? value : expected(value, path, 'a string')),
    uint: (value, path) => {
      if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return value; // most values: no bigint made
      const big = uint64(value, path);
      return big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : fail(path, `is ${big}, larger than 2^53 - 1`);
    },
    int: (value, path) => {
      if (typeof value === 'bigint') return value;
      if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value);
      return expected(value, path, 'an integer');
    },
    uint64,
    id: (value, path) =>
      value instanceof Uint8Array && value.byteLength === ID_LENGTH
        ? new Uint8Array(value)
        : expected(value, path, `a bin of ${ID_LENGTH} bytes`),
    root: (value, keys, newest) => {
      if (!isPlainObject(value)) return fail('the top level', `is ${describeValue(value)}, expected a map`);
      const version = checkFormatVersion(own(value, 'v'), where, newest);
      if (version === null) return expected(own(value, 'v'), 'v', 'the format version number');
      map(value, 'the top level', keys);
      return Object.assign(value, { v: version });
    },
  };
}

/** The value of `key` when the map itself has it (never one inherited from Object.prototype). */
export function own(map: WireMap, key: string): unknown {
  return Object.hasOwn(map, key) ? map[key] : undefined;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
