import { describe, expect, it } from 'vitest';
import { compileExcludePattern, parseExcludeMarker, parseExcludeSize } from '@cairn/repository';

/** Which of `paths` the pattern matches. */
function matched(pattern: string, paths: readonly string[], caseInsensitive = false): string[] {
  const compiled = compileExcludePattern(pattern, { caseInsensitive });
  return paths.filter((path) => compiled.matches(path));
}

describe('exclude patterns (restic syntax)', () => {
  const paths = ['/home/ana/proj/app.log', '/home/ana/proj/logs/x.txt', '/home/ana/proj/foo/bar', '/home/ana/proj/foo/bar/baz.c',
    '/home/ana/proj/foobar', '/home/ana/proj/a/foo/bar', '/home/ana/proj/.hidden.log', '/home/ana/proj/APP.LOG'];

  it('matches whole components at any depth, and what lies below a match', () => {
    expect(matched('*.log', paths)).toEqual(['/home/ana/proj/app.log', '/home/ana/proj/.hidden.log']);
    expect(matched('foo', paths)).toEqual(['/home/ana/proj/foo/bar', '/home/ana/proj/foo/bar/baz.c', '/home/ana/proj/a/foo/bar']);
    expect(matched('foo/bar', paths)).toEqual(['/home/ana/proj/foo/bar', '/home/ana/proj/foo/bar/baz.c', '/home/ana/proj/a/foo/bar']);
    expect(matched('foo/bar/', paths)).toEqual(matched('foo/bar', paths));
    expect(matched('logs', paths)).toEqual(['/home/ana/proj/logs/x.txt']);
  });

  it('a leading / anchors at the root; ** spans any number of folders', () => {
    expect(matched('/home/ana/proj/foo', paths)).toEqual(['/home/ana/proj/foo/bar', '/home/ana/proj/foo/bar/baz.c']);
    expect(matched('/proj/foo', paths)).toEqual([]);
    expect(matched('/home/**/bar', paths)).toEqual(['/home/ana/proj/foo/bar', '/home/ana/proj/foo/bar/baz.c', '/home/ana/proj/a/foo/bar']);
    expect(matched('/home/ana/**/*.c', paths)).toEqual(['/home/ana/proj/foo/bar/baz.c']);
    expect(matched('proj/**', paths)).toEqual(paths);
  });

  it('components follow Go filepath.Match: ?, classes with ^, escapes; no braces', () => {
    expect(matched('?pp.log', paths)).toEqual(['/home/ana/proj/app.log']);
    expect(matched('[a-b]pp.log', paths)).toEqual(['/home/ana/proj/app.log']);
    expect(matched('[^a]pp.log', paths)).toEqual([]);
    expect(compileExcludePattern('\\*.c').matches('/x/*.c')).toBe(true);
    expect(compileExcludePattern('\\*.c').matches('/x/a.c')).toBe(false);
    expect(compileExcludePattern('{a,b}.c').matches('/x/a.c')).toBe(false);
    expect(compileExcludePattern('{a,b}.c').matches('/x/{a,b}.c')).toBe(true);
    expect(compileExcludePattern('foo(1)*').matches('/x/foo(1) copy')).toBe(true);
  });

  it('case-insensitive patterns fold both sides', () => {
    expect(matched('*.LOG', paths)).toEqual(['/home/ana/proj/APP.LOG']);
    expect(matched('*.LOG', paths, true)).toEqual(['/home/ana/proj/app.log', '/home/ana/proj/.hidden.log', '/home/ana/proj/APP.LOG']);
  });

  it('refuses empty, negated and malformed patterns, naming them', () => {
    expect(() => compileExcludePattern('')).toThrow(/must not be empty/);
    expect(() => compileExcludePattern('!keep')).toThrow(/"!keep".*not supported/);
    expect(() => compileExcludePattern('a[bc')).toThrow(/"a\[bc".*never closed/);
    expect(() => compileExcludePattern('a\\')).toThrow(/lone/);
    expect(() => compileExcludePattern('[]')).toThrow(/escaped/);
  });

  it('sizes and markers', () => {
    expect(parseExcludeSize('10M')).toBe(10 * 2 ** 20);
    expect(parseExcludeSize('1G')).toBe(2 ** 30);
    expect(parseExcludeSize('512KiB')).toBe(512 * 1024);
    expect(parseExcludeSize('100')).toBe(100);
    expect(() => parseExcludeSize('10X')).toThrow(/not a size: "10X"/);
    expect(() => parseExcludeSize('-1')).toThrow(/not a size/);
    expect(parseExcludeMarker('CACHEDIR.TAG:Signature: 8a47')).toEqual({ name: 'CACHEDIR.TAG', header: 'Signature: 8a47' });
    expect(parseExcludeMarker('.nobackup')).toEqual({ name: '.nobackup' });
    expect(() => parseExcludeMarker(':x')).toThrow(/does not name an entry/);
    expect(() => parseExcludeMarker('a/b')).toThrow(/does not name an entry/);
  });
});
