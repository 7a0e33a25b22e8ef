import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nameFromBytes } from '@cairn/core';
import { createLocalSource, createLocalTarget } from '@cairn/transport';
import { getAttributeSync, listAttributesSync, setAttributeSync } from '@napi-rs/xattr';
import { dataRuns } from '../src/sparse-write.js';
import { tempDir } from './temp-dir.js';

const bytes = (text: string): Uint8Array => new Uint8Array(Buffer.from(text));
const MiB = 1024 * 1024;

describe('extended attributes of the local source and target', () => {
  it('the source reads them sorted by name, binary values intact; none is an empty list', async () => {
    const dir = await tempDir();
    const file = join(dir, 'f');
    writeFileSync(file, 'x');
    setAttributeSync(file, 'user.zeta', Buffer.from([0, 1, 255]));
    setAttributeSync(file, 'user.alpha', Buffer.alloc(0));
    mkdirSync(join(dir, 'd'));
    setAttributeSync(join(dir, 'd'), 'user.folder', 'yes');
    writeFileSync(join(dir, 'plain'), '');
    const source = createLocalSource();
    expect(await source.xattrs!(file)).toEqual([{ name: 'user.alpha', value: new Uint8Array(0) }, { name: 'user.zeta', value: Uint8Array.from([0, 1, 255]) }]);
    expect(await source.xattrs!(join(dir, 'd'))).toEqual([{ name: 'user.folder', value: bytes('yes') }]);
    expect(await source.xattrs!(join(dir, 'plain'))).toEqual([]);
    // A symlink's own attributes, never its target's.
    symlinkSync('f', join(dir, 'link'));
    expect(await source.xattrs!(join(dir, 'link'))).toEqual([]);
    await expect(source.xattrs!(join(dir, 'missing'))).rejects.toMatchObject({ code: 'ERR_NOT_FOUND' });
  });

  it('reaches an entry below a folder whose name is not UTF-8 and such a folder itself, and says when a file\'s own name is not', async () => {
    const dir = await tempDir();
    const raw = Buffer.concat([Buffer.from(`${dir}/`), Buffer.from([0x66, 0xff])]);
    mkdirSync(raw);
    writeFileSync(Buffer.concat([raw, Buffer.from('/inner')]), '');
    // Set by another program, by the path's bytes.
    const script = 'import os, sys; os.setxattr(bytes.fromhex(sys.argv[1]), "user.k", b"v", follow_symlinks=False)';
    execFileSync('python3', ['-c', script, Buffer.concat([raw, Buffer.from('/inner')]).toString('hex')]);
    const source = createLocalSource();
    const folder = `${dir}/${nameFromBytes(Uint8Array.from([0x66, 0xff]))}`;
    expect(await source.xattrs!(`${folder}/inner`)).toEqual([{ name: 'user.k', value: bytes('v') }]);
    const script2 = 'import os, sys; os.setxattr(bytes.fromhex(sys.argv[1]), "user.dir", b"d", follow_symlinks=False)';
    execFileSync('python3', ['-c', script2, raw.toString('hex')]);
    expect(await source.xattrs!(folder)).toEqual([{ name: 'user.dir', value: bytes('d') }]);
    // A file whose own name is not UTF-8 cannot be reached by the module: a warning, not a wrong answer.
    writeFileSync(Buffer.concat([raw, Buffer.from('/'), Buffer.from([0xfe])]), '');
    await expect(source.xattrs!(`${folder}/${nameFromBytes(Uint8Array.from([0xfe]))}`))
      .rejects.toMatchObject({ code: 'ERR_UNSUPPORTED', message: expect.stringContaining('not valid UTF-8') });
  });

  it('the target sets them, and names those it cannot set after setting the others', async () => {
    const dir = await tempDir();
    const target = createLocalTarget(dir);
    await target.writeFile(['f'], (async function* () { yield bytes('data'); })());
    await target.setXattrs!(['f'], [{ name: 'user.a', value: Uint8Array.from([1, 2]) }, { name: 'user.b', value: new Uint8Array(0) }]);
    expect(listAttributesSync(join(dir, 'f')).sort()).toEqual(['user.a', 'user.b']);
    expect(getAttributeSync(join(dir, 'f'), 'user.a')).toEqual(Buffer.from([1, 2]));
    await target.mkdir(['d']);
    await target.setXattrs!(['d'], [{ name: 'user.folder', value: bytes('1') }]);
    expect(getAttributeSync(join(dir, 'd'), 'user.folder')).toEqual(Buffer.from('1'));
    await expect(target.setXattrs!(['f'], [{ name: 'nonsense.x', value: bytes('1') }, { name: 'user.ok', value: bytes('2') }]))
      .rejects.toMatchObject({ message: expect.stringMatching(/f: extended attributes not set: nonsense\.x \(/) });
    expect(getAttributeSync(join(dir, 'f'), 'user.ok')).toEqual(Buffer.from('2'));
  });
});

describe('sparse restores', () => {
  it('finds the data runs of a buffer in 4 KiB blocks aligned to the file offset, writing through gaps under 64 KiB', () => {
    const K = 4096;
    const data = new Uint8Array(40 * K);
    data[K + 7] = 1;
    data[2 * K] = 2;
    data[20 * K] = 3; // 17 blocks (68 KiB) of zeros before it: a hole
    data[22 * K] = 4; // 1 block of zeros before it: written through
    data[40 * K - 1] = 5;
    expect(dataRuns(data, 0)).toEqual([[K, 3 * K], [20 * K, 23 * K], [39 * K, 40 * K]]);
    expect(dataRuns(data, 100)).toEqual([[K - 100, 3 * K - 100], [20 * K - 100, 23 * K - 100], [40 * K - 100, 40 * K]]);
    expect(dataRuns(new Uint8Array(10_000), 0)).toEqual([]);
    expect(dataRuns(Uint8Array.from([0, 0, 1]), 4095)).toEqual([[1, 3]]);
  });

  it('leaves blocks of zeros as holes, by position and streamed, with identical bytes', async () => {
    const dir = await tempDir();
    const size = 64 * MiB;
    const data = Buffer.alloc(MiB, 0xab);
    const whole = Buffer.alloc(size);
    data.copy(whole, 32 * MiB);
    const target = createLocalTarget(dir);
    const file = await target.createFile!(['positional'], size);
    // The writes a restore makes: zero chunks and data, in any order; the last piece is zeros.
    for (let at = size - 8 * MiB; at >= 0; at -= 8 * MiB) await file.write(whole.subarray(at, at + 8 * MiB), at);
    await file.commit();
    await target.writeFile(['streamed'], (async function* () {
      for (let at = 0; at < size; at += 8 * MiB) yield whole.subarray(at, at + 8 * MiB);
    })());
    for (const name of ['positional', 'streamed']) {
      const stat = statSync(join(dir, name));
      expect(stat.size).toBe(size);
      expect(stat.blocks * 512).toBeLessThan(4 * MiB);
      expect(readFileSync(join(dir, name)).equals(whole)).toBe(true);
    }
  });
});
