import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { linkSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, symlinkSync, utimesSync, writeFileSync, chmodSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, cairn, shell, tempDir } from './run-cli.js';
import type { Run } from './run-cli.js';

/** Bytes 66 ff 6f: "f", a byte that is not UTF-8, "o". */
const RAW = Buffer.from([0x66, 0xff, 0x6f]);

/** Sets a user extended attribute with python3 (node has no call for it); false where the filesystem refuses. */
function setXattr(path: string, name: string, value: string): boolean {
  try {
    execFileSync('python3', ['-c', 'import os,sys; os.setxattr(sys.argv[1], sys.argv[2].encode(), sys.argv[3].encode(), follow_symlinks=False)', path, name, value], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function getXattrs(path: string): string {
  return execFileSync('python3', ['-c', 'import os,sys; p=sys.argv[1]; print(sorted((n, os.getxattr(p, n, follow_symlinks=False).hex()) for n in os.listxattr(p, follow_symlinks=False)))', path]).toString().trim();
}

/**
 * A folder with what an archive must keep: files with odd modes and nanosecond mtimes, an empty
 * file, a folder with its own mode, a symlink, a hardlink pair, a file with an extended attribute
 * (where the filesystem takes one). Returns whether the attribute was set.
 */
function makeTree(root: string): boolean {
  mkdirSync(join(root, 'sub', 'deep'), { recursive: true });
  writeFileSync(join(root, 'a.txt'), 'alpha\n');
  writeFileSync(join(root, 'empty'), '');
  writeFileSync(join(root, 'sub', 'run.sh'), '#!/bin/sh\necho hi\n');
  chmodSync(join(root, 'sub', 'run.sh'), 0o751);
  writeFileSync(join(root, 'sub', 'deep', 'big.bin'), createHash('sha256').update('seed').digest().toString('hex').repeat(40_000));
  linkSync(join(root, 'a.txt'), join(root, 'sub', 'same.txt'));
  symlinkSync('../a.txt', join(root, 'sub', 'link'));
  const xattr = setXattr(join(root, 'sub', 'deep', 'big.bin'), 'user.origin', 'test');
  const time = new Date('2003-04-05T06:07:08.123Z');
  for (const file of ['a.txt', 'empty', 'sub/run.sh', 'sub/deep/big.bin']) utimesSync(join(root, file), time, time);
  chmodSync(join(root, 'sub'), 0o750);
  execFileSync('touch', ['-h', '-d', '2004-01-02 03:04:05.987654321', join(root, 'sub', 'deep', 'big.bin'), join(root, 'sub', 'deep'), join(root, 'sub'), root]);
  return xattr;
}

/** Every entry below `root`: type, mode, mtime (ns, folders and files), size, content hash or link target, and which names share an inode. */
function describeTree(root: string, options: { xattrs?: boolean } = {}): string[] {
  const out: string[] = [];
  const inodes = new Map<bigint, string>();
  const visit = (dir: string, rel: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const full = join(dir, name);
      const path = rel === '' ? name : `${rel}/${name}`;
      const st = lstatSync(full, { bigint: true });
      const mode = (st.mode & 0o7777n).toString(8);
      const xattrs = options.xattrs === true && !st.isSymbolicLink() ? ` ${getXattrs(full)}` : '';
      if (st.isSymbolicLink()) out.push(`${path} symlink ${readlinkSync(full)}`);
      else if (st.isDirectory()) {
        out.push(`${path} dir ${mode} ${st.mtimeNs}${xattrs}`);
        visit(full, path);
      } else {
        const first = st.nlink > 1n ? inodes.get(st.ino) : undefined;
        if (st.nlink > 1n && first === undefined) inodes.set(st.ino, path);
        out.push(`${path} file ${mode} ${st.mtimeNs} ${st.size} ${createHash('sha256').update(readFileSync(full)).digest('hex')}${first === undefined ? '' : ` =${first}`}${xattrs}`);
      }
    }
  };
  visit(root, '');
  return out;
}

/** A snapshot's entries as `ls --json` gives them, without what only a filesystem has (inode, device, ctime, tree ids). */
async function snapshotContent(home: string, snapshot: string, options: { seconds?: boolean } = {}): Promise<unknown[]> {
  const listed = await cairn(['ls', '--json', snapshot], { home });
  expect(listed.code, listed.stderr).toBe(0);
  return listed.stdout.trim().split('\n').map((line) => JSON.parse(line) as { type: string; entry?: Record<string, unknown> })
    .filter((message) => message.type === 'entry')
    .map((message) => {
      const { ino: _ino, dev: _dev, ctime: _ctime, ctimeNs: _ctimeNs, subtree: _subtree, ...rest } = message.entry!;
      // GNU tar's own format keeps whole seconds.
      if (options.seconds === true) return { ...rest, mtime: String(rest['mtime']).slice(0, 19), mtimeNs: String(rest['mtimeNs']).slice(0, -9) };
      return rest;
    });
}


/** Every file of the repository with its size: what a refused import must leave as it was. */
function repositoryFiles(home: string): string[] {
  const out: string[] = [];
  const visit = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const full = join(dir, name);
      const st = lstatSync(full);
      if (st.isDirectory()) visit(full);
      else out.push(`${full} ${st.size}`);
    }
  };
  visit(join(home, 'data'));
  return out;
}

async function savedId(run: Run): Promise<string> {
  expect(run.code, run.stderr).toBe(0);
  const id = /snapshot ([0-9a-f]{8}) saved/.exec(run.stdout)?.[1];
  expect(id, run.stdout).toBeDefined();
  return id!;
}

describe('cairn dump --archive', () => {
  it('tar: tar -x gives back the tree it was backed up from (modes, nanosecond times, symlinks, hardlinks, xattrs)', async () => {
    const home = await tempDir();
    const source = join(home, 'proj');
    const xattrs = makeTree(source);
    expect((await cairn(['backup', source], { home })).code).toBe(0);
    const out = join(home, 'out');
    mkdirSync(out);
    const piped = await shell(`$CAIRN dump latest --archive tar | tar --xattrs --xattrs-include='user.*' -x -p -C ${out}`, { home });
    expect(piped.code, piped.stderr).toBe(0);
    const want = describeTree(source, { xattrs });
    expect(want.some((line) => line.includes('=a.txt'))).toBe(true); // the hardlink pair is there to check
    expect(describeTree(join(out, 'proj'), { xattrs })).toEqual(want);

    // Several paths into one file (-o): only those, each once.
    const file = join(home, 'part.tar');
    const part = await cairn(['dump', 'latest:proj/sub/deep', 'proj/a.txt', 'proj/sub/deep/big.bin', '--archive', 'tar', '-o', file], { home });
    expect(part.code, part.stderr).toBe(0);
    expect(part.stdout).toBe('');
    expect(execFileSync('tar', ['-tf', file]).toString().split('\n').filter(Boolean)).toEqual(['proj/sub/deep/', 'proj/sub/deep/big.bin', 'proj/a.txt']);

    // tar.zst: the same tar, compressed.
    const zst = await shell(`$CAIRN dump latest --archive tar.zst | zstd -dc | tar -t`, { home });
    expect(zst.code, zst.stderr).toBe(0);
    expect(zst.stdout).toBe(execFileSync('sh', ['-c', `${process.execPath} ${CLI} dump latest --archive tar | tar -t`], { env: { ...process.env, HOME: home, XDG_DATA_HOME: join(home, 'data') } }).toString());
  });

  it('tar of a larger tree: many small files in many folders, hardlinks, symlinks, xattrs, whole-second and nanosecond times, long and non-ASCII names, a file larger than the read-ahead; tar -xp gives it back', async () => {
    const home = await tempDir();
    const source = join(home, 'big');
    const xattrs = makeTree(join(source, 'base'));
    // 1,500 small files in 30 folders (their blobs read many to a read, decoded in the decode thread once 8 MiB were read).
    for (let d = 0; d < 30; d += 1) {
      const dir = join(source, `dir-${d}`);
      mkdirSync(dir);
      for (let f = 0; f < 50; f += 1) {
        const file = join(dir, `file-${f}.txt`);
        writeFileSync(file, `${d}/${f} `.repeat(1 + ((d * 50 + f) % 700)));
        // Whole seconds (no pax header), milliseconds and nanoseconds (a pax mtime) in turn.
        if (f % 3 === 0) utimesSync(file, 1_500_000_000 + f, 1_500_000_000 + f);
        else if (f % 3 === 1) utimesSync(file, new Date(1_600_000_000_123 + f), new Date(1_600_000_000_123 + f));
      }
      if (d % 5 === 0) execFileSync('touch', ['-h', '-d', `2020-01-0${1 + (d % 9)} 00:00:00.123456789`, join(dir, 'file-2.txt')]);
      linkSync(join(dir, 'file-1.txt'), join(dir, 'hard-1.txt'));
      symlinkSync(`file-${d}.txt`, join(dir, 'link'));
      utimesSync(dir, 1_400_000_000 + d, 1_400_000_000 + d);
    }
    if (xattrs) setXattr(join(source, 'dir-3', 'file-3.txt'), 'user.note', 'small file');
    // A name split into ustar's prefix and name, one too long for that (a pax path), and one not ASCII.
    const long = join(source, 'a'.repeat(90), 'b'.repeat(60));
    mkdirSync(long, { recursive: true });
    writeFileSync(join(long, 'c'.repeat(90)), 'split\n');
    writeFileSync(join(long, 'd'.repeat(200)), 'pax path\n');
    writeFileSync(join(source, 'dir-0', 'naïve-😀.txt'), 'utf-8\n');
    // Larger than the read-ahead's budget (48 MiB) and than one read (8 MiB); little compressible.
    const large = Buffer.alloc(56 * 1024 * 1024);
    for (let at = 0; at < large.length; at += 32) createHash('sha256').update(String(at)).digest().copy(large, at);
    writeFileSync(join(source, 'large.bin'), large);
    utimesSync(join(source, 'large.bin'), 1_234_567_890, 1_234_567_890);
    expect((await cairn(['backup', source], { home })).code).toBe(0);
    const out = join(home, 'out');
    mkdirSync(out);
    const piped = await shell(`$CAIRN dump latest --archive tar | tar --xattrs --xattrs-include='user.*' -x -p -C ${out}`, { home });
    expect(piped.code, piped.stderr).toBe(0);
    const want = describeTree(source);
    expect(want.length).toBeGreaterThan(1_600);
    expect(want.filter((line) => / =dir-\d+\/file-1\.txt/.test(line)).length).toBe(30); // the hardlinks are there to check
    expect(describeTree(join(out, 'big'))).toEqual(want);
    // (Attributes of the two files that have one: a python3 per entry would take minutes here.)
    for (const path of xattrs ? ['dir-3/file-3.txt', 'base/sub/deep/big.bin'] : []) expect(getXattrs(join(out, 'big', path))).toBe(getXattrs(join(source, path)));
    // A pax header only where ustar falls short: a fractional time, an attribute, a name too long to split or not ASCII.
    const file = join(home, 'big.tar');
    expect((await cairn(['dump', 'latest', '--archive', 'tar', '-o', file], { home })).code).toBe(0);
    const keys = new Map(execFileSync('python3', ['-c', 'import sys, tarfile, json\nfor m in tarfile.open(sys.argv[1]): print(json.dumps([m.name, sorted(m.pax_headers)]))', file])
      .toString().trim().split('\n').map((line) => JSON.parse(line) as [string, string[]]));
    expect(keys.get('big/dir-0/file-0.txt')).toEqual([]);
    expect(keys.get('big/dir-0/file-1.txt')).toEqual(['mtime']);
    expect(keys.get('big/dir-0/file-2.txt')).toEqual(['mtime']);
    expect(keys.get('big/dir-1')).toEqual([]);
    expect(keys.get('big/large.bin')).toEqual([]);
    expect(keys.get(`big/${'a'.repeat(90)}/${'b'.repeat(60)}/${'c'.repeat(90)}`)).toEqual(['mtime']); // split into prefix and name
    expect(keys.get(`big/${'a'.repeat(90)}/${'b'.repeat(60)}/${'d'.repeat(200)}`)).toEqual(['mtime', 'path']);
    expect(keys.get('big/dir-0/naïve-😀.txt')).toEqual(['mtime', 'path']);
    if (xattrs) expect(keys.get('big/dir-3/file-3.txt')).toEqual(['SCHILY.xattr.user.note']);
    // No pax header at all for the 500 whole-second files and 29 of the folders.
    expect([...keys.values()].filter((names) => names.length === 0).length).toBeGreaterThanOrEqual(529);
  }, 120_000);

  it('zip: python3 zipfile reads back the names, bytes, modes and the symlink', async () => {
    const home = await tempDir();
    const source = join(home, 'proj');
    makeTree(source);
    expect((await cairn(['backup', source], { home })).code).toBe(0);
    const file = join(home, 'proj.zip');
    const made = await cairn(['dump', 'latest', 'proj', '--archive', 'zip', '-o', file], { home });
    expect(made.code, made.stderr).toBe(0);
    const listing = execFileSync('python3', ['-c', `
import hashlib, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    assert z.testzip() is None
    for i in z.infolist():
        mode = i.external_attr >> 16
        print(i.filename, oct(mode), hashlib.sha256(z.read(i)).hexdigest()[:16], i.date_time[0])
`, file]).toString().trim().split('\n');
    const sha = (path: string): string => createHash('sha256').update(readFileSync(join(source, path))).digest('hex').slice(0, 16);
    expect(listing).toContain(`proj/a.txt 0o100644 ${sha('a.txt')} 2003`);
    expect(listing).toContain(`proj/sub/run.sh 0o100751 ${sha('sub/run.sh')} 2003`);
    expect(listing).toContain(`proj/sub/same.txt 0o100644 ${sha('a.txt')} 2003`);
    expect(listing).toContain(`proj/sub/deep/big.bin 0o100644 ${sha('sub/deep/big.bin')} 2004`);
    expect(listing).toContain(`proj/sub/link 0o120777 ${createHash('sha256').update('../a.txt').digest('hex').slice(0, 16)} ${lstatSync(join(source, 'sub', 'link')).mtime.getUTCFullYear()}`);
    expect(listing.some((line) => line.startsWith('proj/sub/ 0o40750 '))).toBe(true);
    // unzip recreates the symlink.
    const out = join(home, 'out');
    execFileSync('unzip', ['-q', file, '-d', out]);
    expect(readlinkSync(join(out, 'proj', 'sub', 'link'))).toBe('../a.txt');
  });

  it('refuses a terminal, an unknown format, and a missing path before writing anything', async () => {
    const home = await tempDir();
    const source = join(home, 'proj');
    makeTree(source);
    expect((await cairn(['backup', source], { home })).code).toBe(0);
    const tty = await shell(`script -qec "$CAIRN dump latest --archive tar" /dev/null`, { home });
    expect(tty.stdout).toMatch(/standard output is a terminal; give -o FILE/);
    const format = await cairn(['dump', 'latest', '--archive', 'rar'], { home });
    expect(format.code).toBe(1);
    expect(format.stderr).toMatch(/--archive wants tar, tar.zst, zip, not "rar"/);
    const file = join(home, 'x.tar');
    const missing = await cairn(['dump', 'latest', 'proj/a.txt', 'proj/nope', '--archive', 'tar', '-o', file], { home });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/has no proj\/nope/);
    expect(existsSync(file)).toBe(false);
    expect(readdirSync(home).filter((name) => name.includes('.tmp'))).toEqual([]);
    // Plain dump is as it was: one file's bytes; several paths want --archive.
    expect((await cairn(['dump', 'latest:proj/a.txt'], { home })).stdout).toBe('alpha\n');
    expect((await cairn(['dump', 'latest', 'proj/a.txt', 'proj/empty'], { home })).stderr).toMatch(/give --archive tar/);
  });
});

describe('cairn import', () => {
  it('a tar (and a tar.gz) made by GNU tar becomes a snapshot with the content a backup of the folder has', async () => {
    const home = await tempDir();
    const source = join(home, 'proj');
    makeTree(source);
    const backedUp = await savedId(await cairn(['backup', source], { home }));
    const file = join(home, 'gnu.tar');
    execFileSync('tar', ['--format=posix', '--xattrs', '--xattrs-include=user.*', '-C', home, '-cf', file, 'proj']);
    const imported = await cairn(['import', file, '--host', 'elsewhere', '--tag', 'moved', '--time', '2020-01-02T03:04:05Z'], { home });
    const id = await savedId(imported);
    expect(imported.stdout).toContain('(tar, 9 entries)');
    // Nothing new to store: every chunk was already in the repository.
    expect(imported.stdout).toMatch(/added [0-9.]+ (B|KiB) in [0-9]+ blobs/);
    expect(await snapshotContent(home, id)).toEqual(await snapshotContent(home, backedUp));
    const listed = (await cairn(['snapshots', '--json'], { home })).stdout.trim().split('\n').map((line) => JSON.parse(line) as { snapshot?: { id: string; hostname: string; tags: string[]; time: string; paths: string[] } });
    const record = listed.find((message) => message.snapshot?.id.startsWith(id) === true)?.snapshot;
    expect(record).toMatchObject({ hostname: 'elsewhere', tags: ['moved'], paths: ['/'] });
    expect(record?.time).toMatch(/^2020-01-02T03:04:05/);
    // Compressed by GNU tar with gzip: the same content.
    const gz = join(home, 'gnu.tar.gz');
    execFileSync('tar', ['--format=posix', '--xattrs', '--xattrs-include=user.*', '-C', home, '-czf', gz, 'proj']);
    const fromGz = await cairn(['import', gz], { home });
    expect(fromGz.stdout).toContain('(tar.gz, 9 entries)');
    expect(await snapshotContent(home, await savedId(fromGz))).toEqual(await snapshotContent(home, backedUp));
  });

  it('round trip: backup, dump --archive tar, import (file, stdin, tar.zst, under a prefix) give the same snapshot content', async () => {
    const home = await tempDir();
    const source = join(home, 'proj');
    makeTree(source);
    const backedUp = await savedId(await cairn(['backup', source], { home }));
    const want = await snapshotContent(home, backedUp);
    const tar = join(home, 'all.tar');
    expect((await cairn(['dump', backedUp, '--archive', 'tar', '-o', tar], { home })).code).toBe(0);
    const fromFile = await savedId(await cairn(['import', tar], { home }));
    expect(await snapshotContent(home, fromFile)).toEqual(want);
    const fromStdin = await shell(`$CAIRN dump ${backedUp} --archive tar.zst | $CAIRN import -`, { home });
    expect(fromStdin.stdout).toContain('(tar.zst, 9 entries)');
    expect(fromStdin.stdout).toContain('added 0 B in 0 blobs');
    expect(await snapshotContent(home, await savedId(fromStdin))).toEqual(want);

    // Under a prefix: recorded as a backup of /srv/www, its root entry named www.
    const proj = join(home, 'proj.tar');
    execFileSync('tar', ['--format=posix', '-C', source, '-cf', proj, '.']);
    const prefixed = await savedId(await cairn(['import', proj, '--prefix', '/srv/www'], { home }));
    const listed = await snapshotContent(home, prefixed) as { path: string }[];
    expect(listed.map((entry) => entry.path)).toContain('www/sub/deep/big.bin');
    expect((await cairn(['dump', `${prefixed}:/srv/www/a.txt`], { home })).stdout).toBe('alpha\n');
    const checked = await cairn(['check', '--read-data'], { home });
    expect(checked.code, checked.stdout + checked.stderr).toBe(0);
  });

  it('a zip made by dump comes back with its files, modes and symlink', async () => {
    const home = await tempDir();
    const source = join(home, 'proj');
    makeTree(source);
    await savedId(await cairn(['backup', source], { home }));
    const zip = join(home, 'all.zip');
    expect((await cairn(['dump', 'latest', '--archive', 'zip', '-o', zip], { home })).code).toBe(0);
    const id = await savedId(await cairn(['import', zip], { home }));
    const out = join(home, 'out');
    expect((await cairn(['restore', id, '--target', out], { home })).code).toBe(0);
    const restored = describeTree(join(out, 'proj'));
    // Zip keeps whole seconds and no hardlinks: compare the rest.
    const strip = (lines: string[]): string[] => lines.map((line) => line.replace(/ (\d+)\d{9}( |$)/, ' $1s$2').replace(/ =\S+/, ''));
    expect(strip(restored)).toEqual(strip(describeTree(source)));
  });

  it('an imported stdin backup restores with --backup-existing: its file lands in the target, what it overwrote is saved and comes back', async () => {
    const home = await tempDir();
    const streamed = await savedId(await shell('printf x | $CAIRN backup --stdin', { home }));
    const tar = join(home, 'stdin.tar');
    expect((await cairn(['dump', streamed, '--archive', 'tar', '-o', tar], { home })).code).toBe(0);
    const imported = await savedId(await cairn(['import', tar], { home }));

    // Into an empty folder: nothing overwritten, no pre-restore snapshot.
    const fresh = join(home, 'fresh');
    const first = await cairn(['restore', imported, '--target', fresh, '--backup-existing'], { home });
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain('the restore overwrote nothing');
    expect(readFileSync(join(fresh, 'stdin'), 'utf8')).toBe('x');

    // Over an older stdin: that one is saved first, and restoring the saved snapshot puts it back.
    const work = join(home, 'work');
    mkdirSync(work);
    writeFileSync(join(work, 'stdin'), 'older\n');
    writeFileSync(join(work, 'other'), 'not in the snapshot\n');
    const second = await cairn(['restore', imported, '--target', work, '--backup-existing'], { home });
    expect(second.code, second.stderr).toBe(0);
    const preId = /snapshot ([0-9a-f]{8}) \(tag pre-restore\)/.exec(second.stdout)?.[1];
    expect(preId, second.stdout).toBeDefined();
    expect(readFileSync(join(work, 'stdin'), 'utf8')).toBe('x');
    expect(readFileSync(join(work, 'other'), 'utf8')).toBe('not in the snapshot\n');
    expect((await cairn(['restore', preId!, '--target', work], { home })).code).toBe(0);
    expect(readFileSync(join(work, 'stdin'), 'utf8')).toBe('older\n');
    expect(readdirSync(work).sort()).toEqual(['other', 'stdin']);
  });

  it('refuses a hostile tar or zip by the name of its entry, exit 1, nothing written to the repository', async () => {
    const home = await tempDir();
    const source = join(home, 'proj');
    makeTree(source);
    await savedId(await cairn(['backup', source], { home }));
    const before = repositoryFiles(home);
    execFileSync('python3', ['-c', `
import io, sys, tarfile
def make(name, kind, entry, link=None):
    with tarfile.open(name, 'w', format=tarfile.PAX_FORMAT) as t:
        ok = tarfile.TarInfo('ok.txt'); ok.size = 3; t.addfile(ok, io.BytesIO(b'abc'))
        info = tarfile.TarInfo(entry)
        if kind == 'file':
            info.size = 4; t.addfile(info, io.BytesIO(b'evil'))
        else:
            info.type = tarfile.SYMTYPE if kind == 'symlink' else tarfile.LNKTYPE
            info.linkname = link; t.addfile(info)
make('dotdot.tar', 'file', 'a/../../evil.txt')
make('absolute.tar', 'file', '/etc/evil.conf')
make('symlink.tar', 'symlink', 'd/escape', '../../etc/passwd')
make('abs-symlink.tar', 'symlink', 'passwd', '/etc/passwd')
make('hardlink.tar', 'hardlink', 'shadow', '../etc/shadow')
import zipfile
with zipfile.ZipFile('dotdot.zip', 'w') as z:
    z.writestr('ok.txt', 'abc')
    z.writestr('../../evil.txt', 'evil')
with zipfile.ZipFile('symlink.zip', 'w') as z:
    info = zipfile.ZipInfo('escape'); info.create_system = 3; info.external_attr = 0o120777 << 16
    z.writestr(info, '../../../etc/passwd')
`], { cwd: home });
    const cases: [string, RegExp][] = [
      ['dotdot.tar', /refusing the entry "a\/\.\.\/\.\.\/evil\.txt": its name leaves the archive's folder/],
      ['absolute.tar', /refusing the entry "\/etc\/evil\.conf": its name is an absolute path/],
      ['symlink.tar', /refusing the entry "d\/escape": a symlink to "\.\.\/\.\.\/etc\/passwd", which leaves the archive's folder/],
      ['abs-symlink.tar', /refusing the entry "passwd": a symlink to the absolute path "\/etc\/passwd"/],
      ['hardlink.tar', /refusing the entry "shadow": the file it links to leaves the archive's folder/],
      ['dotdot.zip', /refusing the entry "\.\.\/\.\.\/evil\.txt": its name leaves the archive's folder/],
      ['symlink.zip', /refusing the entry "escape": a symlink to "\.\.\/\.\.\/\.\.\/etc\/passwd", which leaves the archive's folder/],
    ];
    for (const [file, message] of cases) {
      const refused = await cairn(['import', join(home, file)], { home });
      expect(refused.code, file).toBe(1);
      expect(refused.stdout).toBe('');
      expect(refused.stderr.split('\n')[0], file).toMatch(message);
      expect(refused.stderr).toContain('nothing was imported');
    }
    const piped = await shell(`cat dotdot.tar | $CAIRN import -`, { home });
    expect(piped.code).toBe(1);
    expect(piped.stderr).toMatch(/refusing the entry "a\/\.\.\/\.\.\/evil\.txt"/);
    expect(repositoryFiles(home)).toEqual(before);
    // An absolute symlink is kept when asked for.
    expect((await cairn(['import', join(home, 'abs-symlink.tar'), '--allow-absolute-symlinks'], { home })).code).toBe(0);
  });

  it('Ctrl-C while the archive is read: exit 1, nothing imported, its temporary file removed', async () => {
    const home = await tempDir();
    const source = join(home, 'proj');
    makeTree(source);
    await savedId(await cairn(['backup', source], { home }));
    const tar = join(home, 'all.tar');
    expect((await cairn(['dump', 'latest', '--archive', 'tar', '-o', tar], { home })).code).toBe(0);
    const before = repositoryFiles(home);
    const temporary = join(home, 'tmp');
    mkdirSync(temporary);
    const child = spawn(process.execPath, [CLI, 'import', '-'], { env: { PATH: process.env['PATH'] ?? '', HOME: home, XDG_DATA_HOME: join(home, 'data'), TMPDIR: temporary }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    // Part of the archive, then a pipe that stalls.
    child.stdin.write(readFileSync(tar).subarray(0, 100_000));
    for (let i = 0; i < 100 && readdirSync(temporary).length === 0; i += 1) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(readdirSync(temporary)).toHaveLength(1); // the spool of what came in
    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code, stderr).toBe(1);
    expect(stderr).toMatch(/reading the archive on standard input was interrupted; nothing was imported/);
    expect(readdirSync(temporary)).toEqual([]);
    expect(repositoryFiles(home)).toEqual(before);
  });

  it('keeps names that are not UTF-8: dump writes their bytes for tar -x, import reads them from GNU tar', async () => {
    const home = await tempDir();
    const source = join(home, 'proj');
    const at = (...names: Buffer[]): Buffer => Buffer.concat([Buffer.from(source), ...names.flatMap((name) => [Buffer.from('/'), name])]);
    mkdirSync(at(RAW), { recursive: true });
    writeFileSync(at(RAW, RAW), 'inside a raw folder\n');
    symlinkSync(RAW, at(Buffer.from('link')));
    const backedUp = await savedId(await cairn(['backup', source], { home }));
    const out = join(home, 'out');
    mkdirSync(out);
    const piped = await shell(`$CAIRN dump latest --archive tar | tar -x -C ${out}`, { home });
    expect(piped.code, piped.stderr).toBe(0);
    const proj = Buffer.from(join(out, 'proj'));
    expect(readdirSync(proj, { encoding: 'buffer' }).map((name) => name.toString('hex')).sort()).toEqual([RAW.toString('hex'), Buffer.from('link').toString('hex')].sort());
    expect(readFileSync(Buffer.concat([proj, Buffer.from('/'), RAW, Buffer.from('/'), RAW])).toString()).toBe('inside a raw folder\n');
    expect(readlinkSync(Buffer.concat([proj, Buffer.from('/link')]), { encoding: 'buffer' })).toEqual(RAW);

    // GNU tar's own format keeps the bytes in its headers: import keeps them too.
    const file = join(home, 'raw.tar');
    execFileSync('tar', ['--format=gnu', '-C', home, '-cf', file, 'proj']);
    const imported = await savedId(await cairn(['import', file], { home }));
    expect(await snapshotContent(home, imported, { seconds: true })).toEqual(await snapshotContent(home, backedUp, { seconds: true }));
    const restored = join(home, 'restored');
    expect((await cairn(['restore', imported, '--target', restored], { home })).code).toBe(0);
    expect(readFileSync(Buffer.concat([Buffer.from(restored), Buffer.from('/proj/'), RAW, Buffer.from('/'), RAW])).toString()).toBe('inside a raw folder\n');

    // cairn's own dump round-trips them (it writes the bytes again in hex, for its reader).
    const own = join(home, 'own.tar');
    expect((await cairn(['dump', backedUp, '--archive', 'tar', '-o', own], { home })).code).toBe(0);
    expect(await snapshotContent(home, await savedId(await cairn(['import', own], { home })))).toEqual(await snapshotContent(home, backedUp));

    // A zip cannot hold those bytes: refused by name, no file left.
    const zip = join(home, 'raw.zip');
    const refused = await cairn(['dump', 'latest', '--archive', 'zip', '-o', zip], { home });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/is not UTF-8, which a zip archive cannot keep/);
    expect(existsSync(zip)).toBe(false);
  });
});
