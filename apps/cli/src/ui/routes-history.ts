/** The API's routes over history: diff of two snapshots and of one file, find, grep (with when a text appeared), a file's versions, the plans. */
import { existsSync } from 'node:fs';
import { shortId } from '@cairn/core';
import { diffSnapshots, dumpFile, fileVersions, findFile, findInSnapshots, grep, pickaxe, TEXT_SNIFF_BYTES } from '@cairn/repository';
import type { GrepHit, GrepOptions, PickaxeSpan, Repository } from '@cairn/repository';
import { planStatuses } from '../plan-status.js';
import { plansFilePath } from '../plans.js';
import { clientGone, flag, integer, required, sendJson } from './http.js';
import { apiPath, snapshotPathParam } from './paths.js';
import type { Route, RouteContext } from './router.js';
import { isoTime } from './views.js';

/** GET /api/diff?from=&to=[&path=/sub]: what changed (`cairn diff --json`). */
async function diff({ session, query, response }: RouteContext): Promise<void> {
  const path = snapshotPathParam(query.get('path') ?? '/');
  const repo = await session.repo();
  const from = (await session.find(required(query, 'from'))).id;
  const to = (await session.find(required(query, 'to'))).id;
  const side = (ref: string) => (path === '' ? { ref } : { ref, path });
  const result = await diffSnapshots(repo, side(from), side(to));
  const node = (n: { size: number; mtimeNs: bigint; type: string } | undefined) => (n === undefined ? null : { type: n.type, size: n.size, mtime: isoTime(n.mtimeNs) });
  sendJson(response, 200, {
    from: result.from.id,
    to: result.to.id,
    changes: result.changes.map((c) => ({
      path: apiPath(c.path),
      change: c.kind,
      ...(c.oldPath === undefined ? {} : { oldPath: apiPath(c.oldPath) }),
      ...(c.fields === undefined ? {} : { fields: c.fields }),
      addedBytes: c.addedBytes,
      removedBytes: c.removedBytes,
      before: node(c.before),
      after: node(c.after),
    })),
    stats: result.summary,
  });
}

/** The most bytes of each side /api/diff/file sends as text. */
const MAX_TEXT = 1024 * 1024;

/** A file's text in a snapshot (null when not there or not a file), or binary when its first 8 KiB hold a NUL or it is over MAX_TEXT. */
async function sideText(repo: Repository, id: string, path: string): Promise<{ text: string | null; binary: boolean }> {
  let found;
  try {
    found = await findFile(repo, id, path);
  } catch {
    return { text: null, binary: false };
  }
  if (found.node.size > MAX_TEXT) return { text: null, binary: true };
  const chunks: Uint8Array[] = [];
  for await (const chunk of dumpFile(repo, id, path)) chunks.push(chunk);
  const bytes = Buffer.concat(chunks);
  if (bytes.subarray(0, TEXT_SNIFF_BYTES).includes(0)) return { text: null, binary: true };
  return { text: bytes.toString('utf8'), binary: false };
}

/** GET /api/diff/file?from=&to=&path=: both sides of one file as text, for a side-by-side view (the bytes `cairn dump` gives). */
async function diffFile({ session, query, response }: RouteContext): Promise<void> {
  const path = snapshotPathParam(required(query, 'path'));
  const repo = await session.repo();
  const from = (await session.find(required(query, 'from'))).id;
  const to = (await session.find(required(query, 'to'))).id;
  const [before, after] = await Promise.all([sideText(repo, from, path), sideText(repo, to, path)]);
  const binary = before.binary || after.binary;
  sendJson(response, 200, { path: apiPath(path), before: binary ? null : before.text, after: binary ? null : after.text, binary, limit: MAX_TEXT });
}

/** GET /api/find?pattern=GLOB[&limit=][&ignoreCase=1]: entries by name or path in every snapshot (`cairn find`). */
async function find({ session, query, response }: RouteContext): Promise<void> {
  const patterns = query.getAll('pattern').filter((p) => p !== '');
  if (patterns.length === 0) required(query, 'pattern');
  const limit = integer(query, 'limit', 500, 1, 100_000);
  const repo = await session.repo();
  const { snapshots } = await session.snapshots();
  const times = new Map(snapshots.map((entry) => [entry.id, isoTime(entry.snapshot.time)]));
  const result = await findInSnapshots(repo, { patterns, ignoreCase: flag(query, 'ignoreCase'), signal: clientGone(response) });
  sendJson(response, 200, {
    matches: result.matches.slice(0, limit).map((m) => ({
      path: apiPath(m.path),
      type: m.node?.type ?? 'dir',
      size: m.node?.size ?? 0,
      mtime: m.node === null ? null : isoTime(m.node.mtimeNs),
      snapshots: m.snapshots.map((id) => shortId(id)),
      ids: m.snapshots,
      first: times.get(m.snapshots[0]!) ?? null,
      last: times.get(m.snapshots[m.snapshots.length - 1]!) ?? null,
    })),
    total: result.matches.length,
    truncated: result.matches.length > limit,
    searched: result.snapshots.length,
  });
}

/**
 * GET /api/grep?q=TEXT[&regex=1][&ignoreCase=1][&path=/sub][&limit=][&introduced=0]: matching
 * lines in every snapshot (`cairn grep`), each with the snapshot where the text first appeared
 * in that path (`cairn grep --introduced`; left out with introduced=0).
 */
async function grepRoute({ session, query, response }: RouteContext): Promise<void> {
  const pattern = required(query, 'q');
  const limit = integer(query, 'limit', 500, 1, 100_000);
  const paths = query.getAll('path').filter((p) => p !== '' && p !== '/').map((p) => snapshotPathParam(p));
  const options: GrepOptions = {
    pattern, fixed: !flag(query, 'regex'), ignoreCase: flag(query, 'ignoreCase'), word: false, paths,
    binary: false, before: 0, after: 0, keepLines: true, maxCount: 20, signal: clientGone(response),
  };
  const repo = await session.repo();
  const hits: GrepHit[] = [];
  const summary = await grep(repo, options, (hit) => hits.push(hit));
  const spans = flag(query, 'introduced', true) && hits.length > 0 ? (await pickaxe(repo, options)).spans : [];
  const firstSpan = new Map<string, PickaxeSpan>();
  for (const span of spans) {
    const known = firstSpan.get(span.path);
    if (known === undefined || span.introduced.time < known.introduced.time) firstSpan.set(span.path, span);
  }
  const matches = [];
  for (const hit of hits) {
    const span = firstSpan.get(hit.path);
    for (const line of hit.lines) {
      if (!line.match) continue;
      const newest = hit.snapshots[hit.snapshots.length - 1]!;
      matches.push({
        path: apiPath(hit.path),
        line: line.line,
        text: line.text,
        snapshot: shortId(newest.id),
        snapshots: hit.snapshots.map((s) => ({ id: s.id, short: shortId(s.id), time: s.time })),
        introduced: span === undefined ? null : { snapshot: shortId(span.introduced.id), id: span.introduced.id, time: span.introduced.time },
      });
    }
  }
  sendJson(response, 200, { matches: matches.slice(0, limit), total: matches.length, truncated: matches.length > limit, summary });
}

/** GET /api/versions?path=/a/b.txt: every distinct version of a file (`cairn versions --json`). */
async function versions({ session, query, response }: RouteContext): Promise<void> {
  const path = snapshotPathParam(required(query, 'path'));
  const result = await fileVersions(await session.repo(), path);
  sendJson(response, 200, {
    path: apiPath(path),
    versions: result.versions.map((v) => {
      const first = v.holders[0]!;
      return {
        number: v.number,
        snapshot: shortId(first.snapshotId),
        id: first.snapshotId,
        time: isoTime(first.time),
        size: v.size,
        mtime: isoTime(first.node.mtimeNs),
        hash: v.contentId,
        byReference: v.byReference,
        holders: v.holders.map((h) => ({ snapshot: shortId(h.snapshotId), id: h.snapshotId, time: isoTime(h.time), path: apiPath(h.path), kind: h.kind })),
      };
    }),
    searched: result.searched,
  });
}

/** GET /api/plans: each plan's status, the objects `cairn status --json` lists. */
async function plans({ plans: where, query, response }: RouteContext): Promise<void> {
  const file = plansFilePath(where.plans);
  // No plans file: no plans (the page says how to make one), not an error.
  if (!existsSync(file)) {
    sendJson(response, 200, { file, plans: [] });
    return;
  }
  sendJson(response, 200, { file, plans: await planStatuses({ plans: where.plans, stateDir: where.stateDir, size: flag(query, 'size') }) });
}

/** The history routes. */
export const historyRoutes: readonly Route[] = [
  { method: 'GET', path: '/api/diff', handle: diff },
  { method: 'GET', path: '/api/diff/file', handle: diffFile },
  { method: 'GET', path: '/api/find', handle: find },
  { method: 'GET', path: '/api/grep', handle: grepRoute },
  { method: 'GET', path: '/api/versions', handle: versions },
  { method: 'GET', path: '/api/plans', handle: plans },
];
