// noop.mjs: the floor of a no-op backup in Node: what any no-op of DIR against its last snapshot
// in the cairn repository REPO must do, with cairn's own readers and none of its walker.
//
//   node noop.mjs REPO DIR
//
// The repository opened (its config and index files: every index file read, checked and loaded),
// its snapshots listed, the latest one of DIR taken as the parent; then every folder below DIR
// listed with each entry's lstat in one call (the transport's native scanAt, as cairn's walk; or
// readdirSync and lstatSync without the module), the folder's parent tree read (its tree pack,
// zstd, SHA-256, decoded to nodes, as cairn's loadTree does) and each entry compared with its
// node by name: mtime, ctime, inode and size. Nothing is written, and nothing else is done: no
// progress, no policy, no exclusions, no attributes, no new trees (a no-op writes none), no
// check that the parent's blobs are indexed. Prints
// "folders F entries E unchanged U changed C loaded L": C is 0 for a no-op (the tree did not
// change); L, the milliseconds from the process's start to this script's first line (node's
// start-up and the loading of cairn's packages, unbundled: the CLI loads one bundle, its compiled
// code cached).
import { closeSync, lstatSync, openSync, readdirSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { nameFromBytes } from '@cairn/core';
import { listSnapshots, openRepository } from '@cairn/repository';
import { createLocalBackend, nativeFs } from '@cairn/transport';

const loaded = performance.now();
const [repoPath, dirArgument] = process.argv.slice(2);
if (repoPath === undefined || dirArgument === undefined) {
  process.stderr.write('usage: node noop.mjs REPO DIR\n');
  process.exit(2);
}
const dir = resolve(dirArgument);
const repo = await openRepository(createLocalBackend(resolve(repoPath)));
const { snapshots } = await listSnapshots(repo);
const parent = snapshots.filter((entry) => entry.snapshot.paths.includes(dir)).sort((a, b) => (a.snapshot.time < b.snapshot.time ? 1 : a.snapshot.time > b.snapshot.time ? -1 : 0))[0];
if (parent === undefined) {
  process.stderr.write(`no snapshot of ${dir} in ${repoPath}\n`);
  process.exit(1);
}
// A snapshot's root tree holds each folder backed up under its own name.
const rootNode = (await repo.loadTree(parent.snapshot.tree, 'the root tree')).find((node) => node.name === basename(dir));
if (rootNode?.subtree === undefined) {
  process.stderr.write(`the snapshot of ${dir} holds no folder ${basename(dir)}\n`);
  process.exit(1);
}

const native = nativeFs();
const FIELDS = native?.STAT_FIELDS ?? 0;
/** The row openAt gives each opened folder's fstat in (not read: the listing's lstat is the one compared). */
const opened = new BigInt64Array(Math.max(1, FIELDS));
const S_IFMT = 0o170000;
const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
let folders = 0;
let entries = 0;
let unchanged = 0;
let changed = 0;

/** The folder's entries: [name, mode, size, mtimeNs, ctimeNs, ino] each, listed with their lstats. */
function list(fd, path) {
  const out = [];
  if (native !== null) {
    const scan = native.scanAt(fd);
    if (typeof scan === 'number') throw new Error(`${path}: scandir failed (${scan})`);
    for (let i = 0; i < scan.names.length; i += 1) {
      if (scan.errnos[i] !== 0) continue;
      const at = i * FIELDS;
      const name = scan.names[i];
      out.push([typeof name === 'string' ? name : nameFromBytes(name), Number(scan.rows[at]), Number(scan.rows[at + 3]), scan.rows[at + 4], scan.rows[at + 5], BigInt.asUintN(64, scan.rows[at + 6])]);
    }
    return out;
  }
  for (const name of readdirSync(path).sort()) {
    const stats = lstatSync(`${path}/${name}`, { bigint: true });
    out.push([name, Number(stats.mode), Number(stats.size), stats.mtimeNs, stats.ctimeNs, stats.ino]);
  }
  return out;
}

async function walk(fd, path, subtree) {
  folders += 1;
  const before = new Map();
  if (subtree !== undefined) for (const node of await repo.loadTree(subtree, 'a tree of the parent snapshot')) before.set(node.name, node);
  for (const [name, mode, size, mtimeNs, ctimeNs, ino] of list(fd, path)) {
    entries += 1;
    const node = before.get(name);
    const type = mode & S_IFMT;
    if (type === S_IFDIR) {
      let child;
      try {
        child = native === null ? -1 : native.openAt(fd, name, true, opened);
      } catch {
        child = -1;
      }
      if (native !== null && child < 0) continue; // gone, or no permission: a backup warns
      const childPath = `${path}/${name}`;
      try {
        await walk(native === null ? -1 : child, childPath, node?.type === 'dir' ? node.subtree : undefined);
      } finally {
        if (native !== null) closeSync(child);
      }
      continue;
    }
    const same = node !== undefined && node.mtimeNs === mtimeNs && node.ctimeNs === ctimeNs && node.ino === ino && (type !== S_IFREG || node.size === size);
    if (same) unchanged += 1;
    else changed += 1;
  }
}

const fd = native === null ? -1 : openSync(dir, 'r');
try {
  await walk(fd, dir, rootNode.subtree);
} finally {
  if (native !== null) closeSync(fd);
}
process.stdout.write(`folders ${folders} entries ${entries} unchanged ${unchanged} changed ${changed} loaded ${Math.round(loaded)}\n`);
