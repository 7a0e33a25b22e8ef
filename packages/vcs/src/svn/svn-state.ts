import { lstat } from 'node:fs/promises';
import { join } from 'node:path';
import { CairnError } from '@cairn/core';
import { createStatus } from '../status.js';
import { svn } from './svn-run.js';
import { stripCredentials } from '../url.js';
import type { FileStatus, VcsFile, VcsState, VcsStatus, WorkingCopy } from '../types.js';
import { readProperties } from './svn-props.js';
import { child, descendants, parseXml } from './xml.js';

const ITEM_STATUS: Readonly<Record<string, FileStatus>> = {
  normal: 'clean', modified: 'modified', added: 'added', deleted: 'deleted', missing: 'deleted',
  replaced: 'modified', conflicted: 'conflicted', obstructed: 'modified', incomplete: 'modified',
  unversioned: 'untracked', ignored: 'ignored',
};

interface Item {
  readonly path: string;
  readonly item: string;
  readonly status: FileStatus;
  readonly revision: number;
  readonly committed: number;
  /** True when its properties were changed and not committed. */
  readonly props: boolean;
}

/** Reads a Subversion working copy's state: `svn status --xml -v` (every versioned item) and `svn info --xml`. */
export async function readSvnStatus(copy: WorkingCopy, signal?: AbortSignal): Promise<VcsStatus> {
  const where = `Subversion working copy ${copy.root}`;
  const [statusOut, infoOut] = await Promise.all([
    svn(copy.root, ['status', '--xml', '-v', '--ignore-externals'], { signal }),
    svn(copy.root, ['info', '--xml'], { signal }),
  ]);
  const info = descendants(parseXml(infoOut.stdout.toString('utf8'), where), 'entry')[0];
  if (info === undefined) throw new CairnError('ERR_FORMAT', `${where}: svn info printed no entry`);
  const url = child(info, 'url')?.text ?? '';
  const relativeUrl = child(info, 'relative-url')?.text ?? null;

  const entries = descendants(parseXml(statusOut.stdout.toString('utf8'), where), 'entry');
  const items: Item[] = [];
  for (const entry of entries) {
    const wc = child(entry, 'wc-status');
    const path = entry.attrs.path ?? '';
    if (wc === undefined || path === '' || path === '.') continue;
    const item = wc.attrs.item ?? 'normal';
    if (item === 'external') continue; // its own working copy
    let status = ITEM_STATUS[item] ?? 'modified';
    if (status === 'clean' && (wc.attrs.props === 'modified' || wc.attrs.props === 'conflicted')) status = 'modified';
    if (wc.attrs['tree-conflicted'] === 'true') status = 'conflicted';
    const commit = child(wc, 'commit');
    const props = wc.attrs.props === 'modified' || wc.attrs.props === 'conflicted';
    items.push({ path, item, status, revision: Number(wc.attrs.revision ?? -1), committed: Number(commit?.attrs.revision ?? -1), props });
  }
  const rootEntry = entries.find((entry) => entry.attrs.path === '.');
  const rootRevision = Number(child(rootEntry ?? info, 'wc-status')?.attrs.revision ?? info.attrs.revision ?? -1);

  const parents = new Set<string>();
  for (const { path } of items) for (let cut = path.lastIndexOf('/'); cut > 0; cut = path.lastIndexOf('/', cut - 1)) parents.add(path.slice(0, cut));
  const revision = modeRevision(items, rootRevision);
  const files = new Map<string, VcsFile>();
  const added: string[] = [];
  const removed: string[] = [];
  const missing: string[] = [];
  const rootProps = child(rootEntry ?? info, 'wc-status')?.attrs.props;
  const propsChanged: string[] = rootProps === 'modified' || rootProps === 'conflicted' ? [''] : [];
  for (const item of items) {
    if (item.props && item.item !== 'deleted' && item.item !== 'missing') propsChanged.push(item.path);
    if (item.item === 'added') added.push(item.path);
    if (item.item === 'deleted') removed.push(item.path);
    if (item.item === 'deleted' || item.item === 'missing') missing.push(item.path);
    if (item.status === 'untracked' && (await lstat(join(copy.root, item.path)).catch(() => null))?.isDirectory() === true) {
      files.set(item.path, { path: item.path, status: 'untracked', folder: true });
    } else if (item.status === 'clean' && item.committed >= 0 && !parents.has(item.path)) {
      const commit = item.revision === revision ? {} : { commit: String(item.revision) };
      files.set(item.path, { path: item.path, status: 'clean', id: `r${item.committed}`, ...commit });
    } else {
      files.set(item.path, { path: item.path, status: item.status });
    }
  }
  const properties = propsChanged.length === 0 ? [] : await readProperties(copy.root, propsChanged, signal);
  const mixed = items.filter((item) => item.revision >= 0 && item.revision !== revision).map((item) => ({ path: item.path, revision: item.revision }));
  if (rootRevision >= 0 && rootRevision !== revision) mixed.unshift({ path: '', revision: rootRevision });
  const state: VcsState = {
    vcs: 'svn',
    root: copy.root,
    kind: copy.kind,
    head: revision >= 0 ? String(revision) : null,
    branch: relativeUrl,
    upstream: null,
    ahead: null,
    behind: null,
    remotes: [{ name: 'svn', url: stripCredentials(url) }],
    dirty: items.some((item) => item.status !== 'clean' && item.status !== 'ignored') || properties.length > 0,
    // Every committed revision lives on the server: there is nothing local to push.
    pushed: revision >= 0,
    unpushed: 0,
    stashes: [],
    refs: [],
    changes: { added, removed, missing },
    mixedRevisions: mixed,
    ...(properties.length === 0 ? {} : { properties }),
  };
  return createStatus(copy, state, files, 'ignored');
}

/** The base revision most items share (so a mixed-revision working copy lists few exceptions). */
function modeRevision(items: readonly Item[], rootRevision: number): number {
  const counts = new Map<number, number>();
  for (const item of items) if (item.revision >= 0) counts.set(item.revision, (counts.get(item.revision) ?? 0) + 1);
  let best = rootRevision;
  let bestCount = 0;
  for (const [revision, count] of counts) if (count > bestCount || (count === bestCount && revision > best)) [best, bestCount] = [revision, count];
  return best;
}
