import { lstat, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLocalTarget } from '@cairn/transport';
import { rejection } from './backend-contract.js';
import { tempDir } from './temp-dir.js';

async function* pieces(text: string): AsyncGenerator<Uint8Array> {
  yield new TextEncoder().encode(text);
}

/** `ns` truncated to whole microseconds (towards -infinity), the precision Node's utimes keeps. */
const toMicros = (ns: bigint): bigint => ns - (((ns % 1000n) + 1000n) % 1000n);

const asRoot = process.getuid?.() === 0;

async function newTarget() {
  const root = join(await tempDir(), 'restore');
  return { root, target: createLocalTarget(root) };
}

describe('createLocalTarget: setMetadata', () => {
  it('restores mode and mtime of a file to the microsecond', async () => {
    const { root, target } = await newTarget();
    const times = [
      1_700_000_000_123_456_789n, 1_700_000_000_000_000_000n, 1_700_000_000_999_999_999n,
      1_234_567_890_000_001_000n, 4_102_444_800_000_000_999n, -86_400_000_001_000n, 0n,
    ];
    for (const [i, mtimeNs] of times.entries()) {
      await target.writeFile([`f${i}`], pieces('x'));
      await target.setMetadata([`f${i}`], 'file', { mode: 0o640, mtimeNs, uid: 0, gid: 0 });
      const restored = await lstat(join(root, `f${i}`), { bigint: true });
      expect(restored.mtimeNs, String(mtimeNs)).toBe(toMicros(mtimeNs));
      expect(Number(restored.mode & 0o7777n)).toBe(0o640);
    }
  });

  it('lands on the right microsecond for 500 random times between 1902 and 2106', async () => {
    const { root, target } = await newTarget();
    await target.writeFile(['f'], pieces('x'));
    for (let i = 0; i < 500; i += 1) {
      const seconds = BigInt(Math.floor(Math.random() * (2 ** 32 + 2 ** 31)) - 2 ** 31 + 1);
      const mtimeNs = seconds * 1_000_000_000n + BigInt(Math.floor(Math.random() * 1e9));
      await target.setMetadata(['f'], 'file', { mode: 0o644, mtimeNs, uid: 0, gid: 0 });
      expect((await lstat(join(root, 'f'), { bigint: true })).mtimeNs, String(mtimeNs)).toBe(toMicros(mtimeNs));
    }
  });

  it('restores a folder’s mode and mtime', async () => {
    const { root, target } = await newTarget();
    await target.mkdir(['d']);
    await target.setMetadata(['d'], 'dir', { mode: 0o751, mtimeNs: 1_600_000_000_654_321_000n, uid: 0, gid: 0 });
    const restored = await target.lstat(['d']);
    expect(restored?.mode).toBe(0o751);
    expect(restored?.mtimeNs).toBe(1_600_000_000_654_321_000n);
    expect((await stat(join(root, 'd'))).isDirectory()).toBe(true);
  });

  it('sets a symlink’s own mtime, never the mode or time of what it points to', async () => {
    const { root, target } = await newTarget();
    const other = await tempDir();
    await writeFile(join(other, 'dest'), 'x', { mode: 0o644 });
    const before = await stat(join(other, 'dest'), { bigint: true });
    await target.symlink(['l'], join(other, 'dest'));
    await target.setMetadata(['l'], 'symlink', { mode: 0o777, mtimeNs: 1_500_000_000_000_001_000n, uid: 0, gid: 0 });
    expect((await lstat(join(root, 'l'), { bigint: true })).mtimeNs).toBe(1_500_000_000_000_001_000n);
    const after = await stat(join(other, 'dest'), { bigint: true });
    expect(after.mtimeNs).toBe(before.mtimeNs);
    expect(after.mode).toBe(before.mode);
  });

  it('makes a symlink with its metadata (owner as root, mtime), new or replacing what is there, its destination untouched', async () => {
    const { root, target } = await newTarget();
    const other = await tempDir();
    await writeFile(join(other, 'dest'), 'x', { mode: 0o644 });
    const before = await stat(join(other, 'dest'), { bigint: true });
    const uid = asRoot ? 4321 : process.getuid?.() ?? 0;
    const gid = asRoot ? 8765 : process.getgid?.() ?? 0;
    await target.symlink(['l'], join(other, 'dest'), { mode: 0o777, mtimeNs: 1_500_000_000_000_001_000n, uid, gid });
    await writeFile(join(root, 'there'), 'a file');
    await target.symlink(['there'], 'l', { mode: 0o777, mtimeNs: 1_400_000_000_000_002_000n, uid, gid });
    for (const [name, mtimeNs] of [['l', 1_500_000_000_000_001_000n], ['there', 1_400_000_000_000_002_000n]] as const) {
      const link = await lstat(join(root, name), { bigint: true });
      expect(link.isSymbolicLink()).toBe(true);
      expect([link.mtimeNs, Number(link.uid), Number(link.gid)]).toEqual([mtimeNs, uid, gid]);
    }
    const after = await stat(join(other, 'dest'), { bigint: true });
    expect([after.mtimeNs, after.mode, after.uid]).toEqual([before.mtimeNs, before.mode, before.uid]);
    await expect(target.symlink(['m'], 'l', { mode: 0o777, mtimeNs: 5 as unknown as bigint, uid, gid })).rejects.toThrow(TypeError);
    await expect(lstat(join(root, 'm'))).rejects.toThrow();
  });

  it('refuses metadata for a file when a symlink is there, leaving its destination alone', async () => {
    const { root, target } = await newTarget();
    const other = await tempDir();
    await writeFile(join(other, 'dest'), 'x', { mode: 0o600 });
    await target.symlink(['l'], join(other, 'dest'));
    const error = await rejection(target.setMetadata(['l'], 'file', { mode: 0o777, mtimeNs: 0n, uid: 0, gid: 0 }), 'ERR_EXISTS');
    expect(error.message).toContain(join(root, 'l'));
    expect((await stat(join(other, 'dest'))).mode & 0o7777).toBe(0o600);
  });

  it.runIf(asRoot)('as root, sets owner before mode so setuid/setgid bits survive', async () => {
    const { root, target } = await newTarget();
    await target.writeFile(['f'], pieces('x'));
    await target.setMetadata(['f'], 'file', { mode: 0o6755, mtimeNs: 0n, uid: 1234, gid: 5678 });
    const restored = await lstat(join(root, 'f'));
    expect([restored.uid, restored.gid]).toEqual([1234, 5678]);
    expect(restored.mode & 0o7777).toBe(0o6755);
    await target.symlink(['l'], 'f');
    await target.setMetadata(['l'], 'symlink', { mode: 0o777, mtimeNs: 0n, uid: 4321, gid: 8765 });
    const link = await lstat(join(root, 'l'));
    expect([link.uid, link.gid]).toEqual([4321, 8765]);
    expect((await lstat(join(root, 'f'))).uid).toBe(1234);
  });

  it('rejects malformed metadata and reports a missing entry as ERR_NOT_FOUND', async () => {
    const { root, target } = await newTarget();
    await target.writeFile(['f'], pieces('x'));
    await expect(target.setMetadata(['f'], 'file', { mode: 0o10000, mtimeNs: 0n, uid: 0, gid: 0 })).rejects.toThrow(RangeError);
    await expect(target.setMetadata(['f'], 'file', { mode: 0o644, mtimeNs: 5 as unknown as bigint, uid: 0, gid: 0 })).rejects.toThrow(TypeError);
    await expect(target.setMetadata(['f'], 'file', { mode: 0o644, mtimeNs: 0n, uid: -1, gid: 0 })).rejects.toThrow(RangeError);
    expect((await rejection(target.setMetadata(['gone'], 'file', { mode: 0o644, mtimeNs: 0n, uid: 0, gid: 0 }), 'ERR_NOT_FOUND')).message)
      .toContain(join(root, 'gone'));
  });
});
