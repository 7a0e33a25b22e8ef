import { describe, expect, it } from 'vitest';
import { nameFromBytes, nameToBytes } from '@cairn/core';
import { Query } from '../src/ui/http.js';
import { decodeName, encodeName, NameParams, queryString } from '../web/src/names.js';

/** A name of random bytes: ASCII, UTF-8 text, and bytes that are not UTF-8. */
function randomName(seed: number): string {
  let state = seed;
  const next = (n: number): number => {
    state = (state * 1103515245 + 12345) >>> 0;
    return state % n;
  };
  const pieces = ['a', ' ', '+', '%', '&', '=', '?', '#', '/', 'é', '日本', '🙂', '\u00ff'];
  const bytes: number[] = [];
  for (let i = 0; i < 12; i += 1) {
    if (next(3) === 0) bytes.push(0x80 + next(0x80)); // a byte outside UTF-8 (alone it is never valid)
    else for (const byte of Buffer.from(pieces[next(pieces.length)]!)) bytes.push(byte);
  }
  return nameFromBytes(Uint8Array.from(bytes));
}

describe('names in addresses (the page writes them, the server reads them)', () => {
  it('a name that is not UTF-8 travels byte for byte: the page\'s encodeName, the server\'s Query, the page\'s own routes', () => {
    const latin = nameFromBytes(Uint8Array.from([0x63, 0x61, 0x66, 0xe9])); // "caf" + 0xE9
    expect(encodeName(latin)).toBe('caf%E9');
    expect(() => encodeURIComponent(latin)).toThrow(URIError); // why encodeName exists
    expect(new URLSearchParams(`p=${encodeName(latin)}`).get('p')).not.toBe(latin); // and why the server does not use URLSearchParams
    for (let seed = 1; seed <= 300; seed += 1) {
      const name = randomName(seed);
      const search = queryString({ path: `/proj/${name}`, n: seed });
      const server = new Query(search);
      expect(server.get('path')).toBe(`/proj/${name}`);
      expect(Buffer.from(nameToBytes(server.get('path')!)).equals(Buffer.concat([Buffer.from('/proj/'), Buffer.from(nameToBytes(name))]))).toBe(true);
      expect(server.get('n')).toBe(String(seed));
      expect(new NameParams(search.slice(1)).get('path')).toBe(`/proj/${name}`);
      expect(decodeName(encodeName(name))).toBe(name);
    }
  });

  it('reads what a browser or curl sends: "+" and %20 as spaces, UTF-8 escapes, repeated keys, a malformed escape kept', () => {
    const q = new Query('?pattern=a+b&pattern=c%20d&path=%2Fx%2F%C3%A9&bad=%zz&empty=&flag');
    expect(q.getAll('pattern')).toEqual(['a b', 'c d']);
    expect(q.get('path')).toBe('/x/é');
    expect(q.get('bad')).toBe('%zz');
    expect(q.get('empty')).toBe('');
    expect(q.get('flag')).toBe('');
    expect(q.get('missing')).toBeNull();
    expect(queryString({})).toBe('');
    expect(queryString({ a: '', b: undefined }, true)).toBe('');
  });
});
