import { mkdirSync, readdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nameFromBytes, nameToBytes } from '@cairn/core';
import { createLocalSource, createLocalTarget } from '@cairn/transport';
import { tempDir } from './temp-dir.js';

/** Bytes 66 ff 6f: "f", a byte that is not UTF-8, "o". */
const RAW = Buffer.from([0x66, 0xff, 0x6f]);
/** A symlink target in Latin-1: "../été". */
const RAW_TARGET = Buffer.from([0x2e, 0x2e, 0x2f, 0xe9, 0x74, 0xe9]);
const under = (dir: string, ...names: Buffer[]): Buffer => Buffer.concat([Buffer.from(`${dir}/`), ...names.flatMap((n, i) => (i === 0 ? [n] : [Buffer.from('/'), n]))]);

describe('names that are not valid UTF-8', () => {
  it('the local source lists, stats, reads and reads links of them by their bytes', async () => {
    const dir = await tempDir();
    mkdirSync(under(dir, RAW));
    writeFileSync(under(dir, RAW, RAW), 'inside');
    symlinkSync(RAW_TARGET, under(dir, Buffer.from('link')));
    writeFileSync(join(dir, 'z'), '');
    const source = createLocalSource();
    const names = await source.readdir(dir);
    // Sorted by bytes: "f\xffo" (66) < "link" (6c) < "z" (7a).
    expect(names.map((name) => Buffer.from(nameToBytes(name)))).toEqual([RAW, Buffer.from('link'), Buffer.from('z')]);
    const folder = source.join(dir, names[0]!);
    expect((await source.lstat(folder)).type).toBe('dir');
    const [inner] = await source.readdir(folder);
    expect(inner).toBe(nameFromBytes(RAW));
    const file = await source.openFile(source.join(folder, inner!));
    const pieces: Uint8Array[] = [];
    for await (const piece of file.chunks(64)) pieces.push(piece);
    await file.close();
    expect(Buffer.concat(pieces).toString()).toBe('inside');
    expect(Buffer.from(nameToBytes(await source.readlink(join(dir, 'link'))))).toEqual(RAW_TARGET);
  });

  it('the local target writes folders, files, positional files, symlinks and links under their bytes', async () => {
    const dir = await tempDir();
    const target = createLocalTarget(dir);
    const name = nameFromBytes(RAW);
    await target.mkdir([name]);
    await target.writeFile([name, name], (async function* () { yield Buffer.from('streamed'); })());
    const file = await target.createFile!([name, 'positional'], 3);
    await file.write(Buffer.from('abc'), 0);
    await file.commit({ mode: 0o640, mtimeNs: 1_000_000_000n, uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 });
    await target.symlink([name, 'link'], nameFromBytes(RAW_TARGET));
    await target.link([name, name], [name, `${name}2`]);
    await target.setMetadata([name], 'dir', { mode: 0o750, mtimeNs: 2_000_000_000n, uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 });
    expect(readdirSync(dir, { encoding: 'buffer' })).toEqual([RAW]);
    const inside = readdirSync(under(dir, RAW), { encoding: 'buffer' }).sort(Buffer.compare);
    expect(inside).toEqual([RAW, Buffer.concat([RAW, Buffer.from('2')]), Buffer.from('link'), Buffer.from('positional')]);
    expect(readFileSync(under(dir, RAW, RAW), 'utf8')).toBe('streamed');
    expect(readlinkSync(under(dir, RAW, Buffer.from('link')), { encoding: 'buffer' })).toEqual(RAW_TARGET);
    expect(await target.lstat([name, `${name}2`])).toMatchObject({ type: 'file', nlink: 2 });
    await expect(target.remove([name])).rejects.toMatchObject({ code: 'ERR_EXISTS' }); // never a folder that is not empty
    for (const entry of [name, `${name}2`, 'link', 'positional']) await target.remove([name, entry]);
    await target.remove([name]);
    expect(readdirSync(dir)).toEqual([]);
  });
});
