import { toHex } from '@cairn/core';
import type { BlobType, CodecName, NodeType, WorkingCopyMode } from '@cairn/core';
import type { IndexPack } from './index-file.js';
import { nsToIso } from './ns-time.js';
import type { Snapshot, SnapshotSummary } from './snapshot.js';
import type { TreeNode } from './tree-node.js';

/** A tree node as plain JSON: ids in hex, times as ISO 8601 plus raw nanoseconds, mode in octal. */
export interface TreeNodeJson {
  name: string;
  type: NodeType;
  /** Octal, at least 4 digits: "0755". */
  mode: string;
  uid: number;
  gid: number;
  mtime: string;
  /** Nanoseconds since 1970, decimal. */
  mtimeNs: string;
  ctime: string;
  ctimeNs: string;
  ino: string;
  dev: string;
  nlink: number;
  size: number;
  content?: string[];
  subtree?: string;
  linkTarget?: string;
  rdev?: number;
  ref?: { id: string; commit: string };
  /** Extended attributes, values in hex. */
  xattrs?: { name: string; value: string }[];
}

/** A snapshot as plain JSON. */
export interface SnapshotJson {
  time: string;
  /** Nanoseconds since 1970, decimal. */
  timeNs: string;
  tree: string;
  paths: string[];
  hostname: string;
  username: string;
  tags: string[];
  description: string;
  meta: Record<string, string>;
  parent: string | null;
  program: string;
  summary: SnapshotSummary;
  vcs?: { path: string; mode: WorkingCopyMode; state: unknown; extras: string | null; extrasKey?: string }[];
  skipped?: { path: string; class: string; reason: string }[];
  classes?: Record<string, { files: number; bytes: number }>;
}

/** A pack of an index file as plain JSON. */
export interface IndexPackJson {
  id: string;
  blobs: { id: string; type: BlobType; offset: number; length: number; rawLength: number; codec: CodecName; base?: string; groupAt?: number; groupRaw?: number }[];
}

/** Tree nodes as plain JSON-safe objects, for `cairn cat --json` and `cairn ls --json`. */
export function treeToJson(nodes: readonly TreeNode[]): TreeNodeJson[] {
  return nodes.map((node) => ({
    name: node.name,
    type: node.type,
    mode: node.mode.toString(8).padStart(4, '0'),
    uid: node.uid,
    gid: node.gid,
    mtime: nsToIso(node.mtimeNs),
    mtimeNs: node.mtimeNs.toString(),
    ctime: nsToIso(node.ctimeNs),
    ctimeNs: node.ctimeNs.toString(),
    ino: node.ino.toString(),
    dev: node.dev.toString(),
    nlink: node.nlink,
    size: node.size,
    ...(node.content === undefined ? {} : { content: node.content.map(toHex) }),
    ...(node.subtree === undefined ? {} : { subtree: toHex(node.subtree) }),
    ...(node.linkTarget === undefined ? {} : { linkTarget: node.linkTarget }),
    ...(node.rdev === undefined ? {} : { rdev: node.rdev }),
    ...(node.ref === undefined ? {} : { ref: { ...node.ref } }),
    ...(node.xattrs === undefined ? {} : { xattrs: node.xattrs.map((xattr) => ({ name: xattr.name, value: toHex(xattr.value) })) }),
  }));
}

/** A snapshot as a plain JSON-safe object. */
export function snapshotToJson(snapshot: Snapshot): SnapshotJson {
  return {
    time: nsToIso(snapshot.time),
    timeNs: snapshot.time.toString(),
    tree: toHex(snapshot.tree),
    paths: [...snapshot.paths],
    hostname: snapshot.hostname,
    username: snapshot.username,
    tags: [...snapshot.tags],
    description: snapshot.description,
    meta: { ...snapshot.meta },
    parent: snapshot.parent === null ? null : toHex(snapshot.parent),
    program: snapshot.program,
    summary: { ...snapshot.summary },
    ...(snapshot.vcs === undefined ? {} : {
      vcs: snapshot.vcs.map((copy) => ({
        path: copy.path, mode: copy.mode, state: parseState(copy.state), extras: copy.extras === null ? null : toHex(copy.extras),
        ...(copy.extrasKey === undefined ? {} : { extrasKey: copy.extrasKey }),
      })),
    }),
    ...(snapshot.skipped === undefined ? {} : { skipped: snapshot.skipped.map((entry) => ({ ...entry })) }),
    ...(snapshot.classes === undefined ? {} : { classes: Object.fromEntries(Object.entries(snapshot.classes).map(([name, count]) => [name, { ...count }])) }),
  };
}

/** The packs of an index file (or one pack's header) as plain JSON-safe objects. */
export function indexFileToJson(packs: readonly IndexPack[]): { packs: IndexPackJson[] } {
  return {
    packs: packs.map((pack) => ({
      id: toHex(pack.id),
      blobs: pack.blobs.map((blob) => ({
        id: toHex(blob.id),
        type: blob.type,
        offset: blob.offset,
        length: blob.length,
        rawLength: blob.rawLength,
        codec: blob.codec,
        ...(blob.base === undefined ? {} : { base: toHex(blob.base) }),
        ...(blob.codec === 'group' ? { groupAt: blob.groupAt ?? 0, groupRaw: blob.groupRaw ?? 0 } : {}),
      })),
    })),
  };
}

/** A working copy's state as JSON, or the text itself when it is not JSON. */
function parseState(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
