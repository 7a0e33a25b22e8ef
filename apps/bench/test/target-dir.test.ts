import { mkdir, realpath, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isCairnError } from '@cairn/core';
import { checkTmpfs, filesystemOf, readMounts } from '../src/target-dir.js';
import { tempDir } from './temp-dir.js';

/** A mount table naming `dir`'s folders: the root on ext4, `dir` on ext4, dir/shm on tmpfs (listed twice), dir/shm-disk on xfs. */
async function mountTable(dir: string): Promise<string> {
  const file = join(dir, 'mounts');
  await writeFile(file, [
    '/dev/vda / ext4 rw,relatime 0 0',
    `/dev/vdb ${dir} ext4 rw 0 0`,
    `tmpfs ${dir}/shm tmpfs rw,size=1024k 0 0`,
    `tmpfs ${dir}/shm tmpfs rw,size=2048k 0 0`,
    `/dev/vdc ${dir}/shm-disk xfs rw 0 0`,
    `/dev/vdd ${dir}/with\\040space ext4 rw 0 0`,
    '',
  ].join('\n'));
  return file;
}

const rejection = async (promise: Promise<unknown>): Promise<{ code: string; message: string }> => {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  if (!isCairnError(error)) throw new Error(`expected a CairnError, got ${String(error)}`);
  return { code: error.code, message: error.message };
};

describe('the filesystem of a folder', () => {
  it('is the deepest mount point above it, symlinks resolved, the last of stacked ones; escaped spaces decoded', async () => {
    const dir = await realpath(await tempDir());
    await mkdir(join(dir, 'shm', 'inner'), { recursive: true });
    await mkdir(join(dir, 'shm-disk'));
    await mkdir(join(dir, 'with space'));
    await symlink(join(dir, 'shm'), join(dir, 'link'));
    const mounts = await readMounts(await mountTable(dir));
    expect(mounts).toHaveLength(6);
    expect((await filesystemOf(join(dir, 'shm', 'inner'), mounts))).toEqual({ device: 'tmpfs', mountPoint: join(dir, 'shm'), type: 'tmpfs' });
    expect((await filesystemOf(join(dir, 'link'), mounts))?.type).toBe('tmpfs');
    // Not a prefix match: shm-disk is not inside shm.
    expect((await filesystemOf(join(dir, 'shm-disk'), mounts))?.type).toBe('xfs');
    expect((await filesystemOf(join(dir, 'with space'), mounts))?.device).toBe('/dev/vdd');
    expect((await filesystemOf(dir, mounts))?.device).toBe('/dev/vdb');
  });

  it('refuses --target-tmpfs with one line when the folder is missing or not on tmpfs, and accepts it on tmpfs', async () => {
    const dir = await realpath(await tempDir());
    await mkdir(join(dir, 'shm'));
    await mkdir(join(dir, 'shm-disk'));
    const table = await mountTable(dir);
    await expect(checkTmpfs(join(dir, 'shm'), table)).resolves.toBeUndefined();
    const missing = await rejection(checkTmpfs(join(dir, 'nothing'), table));
    expect(missing).toEqual({ code: 'ERR_NOT_FOUND', message: `--target-tmpfs needs ${join(dir, 'nothing')} on tmpfs, and ${join(dir, 'nothing')} does not exist.` });
    const disk = await rejection(checkTmpfs(join(dir, 'shm-disk'), table));
    expect(disk).toEqual({ code: 'ERR_UNSUPPORTED', message: `--target-tmpfs needs ${join(dir, 'shm-disk')} on tmpfs, and it is on xfs (${join(dir, 'shm-disk')}).` });
    expect(disk.message).not.toContain('\n');
  });
});
