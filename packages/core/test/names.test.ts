import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareNames, holdsRawBytes, nameFromBytes, nameToBytes } from '@cairn/core';

const bytes = (...values: number[]): Uint8Array => Uint8Array.from(values);

describe('names as bytes', () => {
  it('keeps valid UTF-8 as its text', () => {
    expect(nameFromBytes(Buffer.from('café 🦀', 'utf8'))).toBe('café 🦀');
    expect(Buffer.from(nameToBytes('café 🦀')).toString('utf8')).toBe('café 🦀');
    expect(holdsRawBytes('café 🦀')).toBe(false);
  });

  it('holds invalid bytes as U+DC80–U+DCFF and gives them back', () => {
    const name = nameFromBytes(bytes(0x66, 0xff, 0x6f));
    expect(name).toBe('f\udcffo');
    expect(holdsRawBytes(name)).toBe(true);
    expect(nameToBytes(name)).toEqual(bytes(0x66, 0xff, 0x6f));
  });

  it('is an exact inverse for every byte string (truncated, overlong, surrogate, too large sequences)', () => {
    const cases = [
      bytes(0xe2, 0x82), bytes(0xe2, 0x82, 0x41), bytes(0xc0, 0xaf), bytes(0xed, 0xa0, 0x80), bytes(0xf4, 0x90, 0x80, 0x80),
      bytes(0xf0, 0x9f, 0xa6, 0x80, 0xff), bytes(0x80), bytes(0xc3), bytes(0xc3, 0xa9, 0xe9), bytes(0xef, 0xbf, 0xbd),
    ];
    for (const value of cases) expect(nameToBytes(nameFromBytes(value))).toEqual(value);
    let seed = 7;
    for (let n = 0; n < 2000; n += 1) {
      const value = new Uint8Array(1 + (n % 9));
      for (let i = 0; i < value.length; i += 1) {
        seed = (seed * 1103515245 + 12345) % 2 ** 31;
        value[i] = n % 2 === 0 ? seed % 256 : 0x80 + (seed % 0x80);
      }
      const name = nameFromBytes(value);
      expect(nameToBytes(name)).toEqual(value);
      expect(nameFromBytes(nameToBytes(name))).toBe(name);
    }
  });

  it('refuses a lone surrogate that stands for no byte', () => {
    expect(() => nameToBytes('a\ud800')).toThrow(RangeError);
    expect(() => nameToBytes('a\udc41')).toThrow(RangeError);
  });

  it('orders names by their bytes', () => {
    const names = ['\udcff', 'z', '\u00e9', 'a', '🦀', '\uffff'];
    expect([...names].sort(compareNames)).toEqual(['a', 'z', '\u00e9', '\uffff', '🦀', '\udcff']);
  });

  it('orders any two names as their bytes compare: UTF-8 of every plane, raw bytes, prefixes', () => {
    const byBytes = (a: string, b: string): number => Math.sign(Buffer.compare(Buffer.from(nameToBytes(a)), Buffer.from(nameToBytes(b))));
    const name = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 8 }),
      fc.string({ unit: fc.constantFrom('a', 'é', '\uD7FF', '\uE000', '\uFFFF', '🦀', '\u{10000}'), maxLength: 6 }),
      fc.uint8Array({ maxLength: 8 }).map((bytes) => nameFromBytes(bytes)),
    );
    fc.assert(fc.property(name, name, (a, b) => {
      expect(Math.sign(compareNames(a, b))).toBe(byBytes(a, b));
      expect(Math.sign(compareNames(a + b, a))).toBe(byBytes(a + b, a));
    }), { numRuns: 2000 });
    // Half a pair that is no raw byte is no name: where its bytes decide, the comparison says so.
    expect(() => compareNames('a\ud800', 'a\ue000')).toThrow(RangeError);
  });
});
