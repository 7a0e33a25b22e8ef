import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cairn, tempDir } from './run-cli.js';

/** Bytes 66 ff 6f: "f", a byte that is not UTF-8, "o". */
const RAW = Buffer.from([0x66, 0xff, 0x6f]);
/** "../été" in Latin-1: not UTF-8. */
const RAW_TARGET = Buffer.from([0x2e, 0x2e, 0x2f, 0xe9, 0x74, 0xe9]);
const at = (dir: string, ...names: Buffer[]): Buffer => Buffer.concat([Buffer.from(dir), ...names.flatMap((name) => [Buffer.from('/'), name])]);

/** Every entry below `root` by its name's bytes (hex): type, and content hash or link target bytes. */
function describeBytes(root: Buffer): string[] {
  const out: string[] = [];
  const visit = (dir: Buffer, rel: string): void => {
    for (const name of readdirSync(dir, { encoding: 'buffer' }).sort(Buffer.compare)) {
      const full = Buffer.concat([dir, Buffer.from('/'), name]);
      const key = `${rel}/${name.toString('hex')}`;
      const st = lstatSync(full);
      if (st.isSymbolicLink()) out.push(`${key} symlink ${readlinkSync(full, { encoding: 'buffer' }).toString('hex')}`);
      else if (st.isDirectory()) {
        out.push(`${key} dir`);
        visit(full, key);
      } else out.push(`${key} file ${createHash('sha256').update(readFileSync(full)).digest('hex')}`);
    }
  };
  visit(root, '');
  return out;
}

describe('cairn with names that are not valid UTF-8', () => {
  it('backs up and restores a folder, files and a symlink target by their bytes, exit 0, check clean', async () => {
    const home = await tempDir();
    const source = join(home, 'proj');
    mkdirSync(at(source, RAW), { recursive: true });
    writeFileSync(at(source, RAW, RAW), 'inside a raw folder\n');
    writeFileSync(at(source, Buffer.concat([RAW, Buffer.from('.txt')])), 'raw file\n');
    symlinkSync(RAW_TARGET, at(source, Buffer.from('link')));

    const saved = await cairn(['backup', source], { home });
    expect(saved.stderr).not.toContain('no such file');
    expect(saved.code).toBe(0);
    const out = join(home, 'out');
    const restored = await cairn(['restore', 'latest', '--target', out], { home });
    expect(restored.code).toBe(0);
    const want = describeBytes(Buffer.from(source));
    expect(want).toHaveLength(4);
    expect(describeBytes(at(out, Buffer.from('proj')))).toEqual(want);
    expect(readlinkSync(at(out, Buffer.from('proj'), Buffer.from('link')), { encoding: 'buffer' })).toEqual(RAW_TARGET);
    const checked = await cairn(['check', '--read-data'], { home });
    expect(checked.code).toBe(0);
    expect(checked.stdout).toContain('no errors found');
  });
});
