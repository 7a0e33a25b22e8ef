import { ID_LENGTH } from '@cairn/core';
import type { Id } from '@cairn/core';
import { describeValue } from './describe-value.js';

/** Throws TypeError unless `value` is a 32-byte id; `name` says which argument it is. */
export function checkId(value: unknown, name: string): asserts value is Id {
  if (!(value instanceof Uint8Array) || value.byteLength !== ID_LENGTH) {
    throw new TypeError(`${name} must be a ${ID_LENGTH}-byte id, not ${describeValue(value)}`);
  }
}

/** Throws TypeError / RangeError unless `value` is an integer in [0, max]. */
export function checkUint(value: unknown, name: string, max = Number.MAX_SAFE_INTEGER): asserts value is number {
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw new TypeError(`${name} must be an unsigned integer, not ${describeValue(value)}`);
  }
  if (value < 0 || value > max) throw new RangeError(`${name} must be between 0 and ${max}, not ${value}`);
}

/** Throws TypeError / RangeError unless `value` is a bigint in [min, max]. */
export function checkBigInt(value: unknown, name: string, min: bigint, max: bigint): asserts value is bigint {
  if (typeof value !== 'bigint') throw new TypeError(`${name} must be a bigint, not ${describeValue(value)}`);
  if (value < min || value > max) throw new RangeError(`${name} must be between ${min} and ${max}, not ${value}`);
}

/** Throws TypeError unless `value` is a string of well-formed UTF-16 (so it survives UTF-8). */
export function checkString(value: unknown, name: string): asserts value is string {
  if (typeof value !== 'string') throw new TypeError(`${name} must be a string, not ${describeValue(value)}`);
  if (LONE_SURROGATE.test(value)) throw new TypeError(`${name} is not valid Unicode (a lone surrogate): ${describeValue(value)}`);
}

/** Throws TypeError unless `value` is an array of strings (each checked as by checkString). */
export function checkStrings(value: unknown, name: string): asserts value is readonly string[] {
  if (!Array.isArray(value)) throw new TypeError(`${name} must be an array of strings, not ${describeValue(value)}`);
  value.forEach((item, i) => checkString(item, `${name}[${i}]`));
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Smallest msgpack int64. */
export const INT64_MIN = -(2n ** 63n);
/** Largest msgpack int64. */
export const INT64_MAX = 2n ** 63n - 1n;
/** Largest msgpack uint64. */
export const UINT64_MAX = 2n ** 64n - 1n;
