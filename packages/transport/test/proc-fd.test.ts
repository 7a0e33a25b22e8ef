import { closeSync, constants, lstatSync, mkdtempSync, openSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { procFdPath } from '../src/proc-fd.js';

const linux = process.platform === 'linux';
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe.runIf(linux)('procFdPath', () => {
  it('reaches the entries of the open folder, as /proc/self/fd does, through /proc/<pid>', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cairn-proc-fd-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'a.txt'), 'abc');
    const fd = openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY);
    try {
      const at = procFdPath(fd);
      expect(at).toBe(`/proc/${readlinkSync('/proc/self')}/fd/${fd}`);
      const viaPid = lstatSync(`${at}/a.txt`, { bigint: true });
      const viaSelf = lstatSync(`/proc/self/fd/${fd}/a.txt`, { bigint: true });
      expect([viaPid.dev, viaPid.ino, viaPid.size]).toEqual([viaSelf.dev, viaSelf.ino, 3n]);
      const folder = lstatSync(`${at}/.`, { bigint: true });
      const byPath = lstatSync(dir, { bigint: true });
      expect([folder.dev, folder.ino]).toEqual([byPath.dev, byPath.ino]);
    } finally {
      closeSync(fd);
    }
  });
});
