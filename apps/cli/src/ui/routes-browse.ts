/** The API's routes that browse the repository: its facts, the snapshots, a folder's entries, a file's bytes, a folder as an archive, stats. */
import { once } from 'node:events';
import type { ServerResponse } from 'node:http';
import { extname, posix } from 'node:path';
import { ARCHIVE_FORMATS, dumpArchive, dumpFile, findFile, listSnapshot, matchesFilter, stats } from '@cairn/repository';
import { repositorySize } from '@cairn/repository/maintenance';
import { shortId, wellFormedText } from '@cairn/core';
import { ApiError, flag, required, SAFE_HEADERS, sendJson } from './http.js';
import { snapshotPathParam } from './paths.js';
import type { Route, RouteContext } from './router.js';
import { entryView, snapshotView } from './views.js';

/** GET /api/repo */
async function repoInfo({ session, response }: RouteContext): Promise<void> {
  const repo = await session.repo();
  let packs = 0;
  for await (const _file of repo.backend.list('data')) packs += 1;
  const { snapshots } = await session.snapshots();
  sendJson(response, 200, {
    location: session.location,
    id: repo.config.id,
    version: repo.config.version,
    encrypted: repo.config.encryption !== 'none',
    encryption: repo.config.encryption,
    compression: repo.config.compression.codec,
    deltas: repo.config.deltas === true,
    size: await repositorySize(repo.backend),
    packs,
    snapshots: snapshots.length,
  });
}

/** GET /api/snapshots[?host=&tag=&path=]: newest first (`cairn snapshots --json` lists the same, oldest first). */
async function snapshotList({ session, query, response }: RouteContext): Promise<void> {
  const host = query.getAll('host').filter((h) => h !== '');
  const tags = query.getAll('tag').filter((t) => t !== '');
  const paths = query.getAll('path').filter((p) => p !== '');
  const filter = { ...(host.length > 0 ? { hosts: host } : {}), ...(tags.length > 0 ? { tags: [tags] } : {}), ...(paths.length > 0 ? { paths } : {}) };
  const { snapshots, problems } = await session.snapshots();
  const shown = snapshots.filter((entry) => matchesFilter(entry.snapshot, filter)).reverse().map(snapshotView);
  sendJson(response, 200, { snapshots: shown, unreadable: problems.map((p) => ({ file: p.file, message: p.error.message })) });
}

/** GET /api/snapshots/:id/ls?path=/a/b: the entries of one folder (`cairn ls --no-recursive`). */
async function listFolder({ session, params, query, response }: RouteContext): Promise<void> {
  const path = snapshotPathParam(query.get('path') ?? '/');
  const repo = await session.repo();
  const { id } = await session.find(params['id']!);
  const entries = [];
  for await (const entry of listSnapshot(repo, id, path, { recursive: false })) {
    // The engine names the folder itself first (a file named is listed alone).
    if (path !== '' && entry.path === path && entry.node.type === 'dir') continue;
    entries.push(entryView(entry.node));
  }
  sendJson(response, 200, { snapshot: id, path: `/${path}`, entries });
}

/** What a browser is told a file is: text (any extension that is text), an image, else bytes. */
const TYPES: Readonly<Record<string, string>> = {
  '.png': 'image/png', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.gif': 'image/gif', '.svg': 'image/svg+xml', '.webp': 'image/webp', '.pdf': 'application/pdf',
};
const TEXT = new Set(['.txt', '.md', '.json', '.js', '.mjs', '.cjs', '.ts', '.tsx', '.jsx', '.css', '.html', '.htm', '.xml', '.yml', '.yaml', '.toml', '.ini', '.cfg', '.conf',
  '.py', '.rb', '.go', '.rs', '.c', '.h', '.cc', '.cpp', '.hpp', '.java', '.kt', '.sh', '.bash', '.zsh', '.fish', '.sql', '.csv', '.tsv', '.log', '.env', '.gitignore',
  '.lock', '.svelte', '.vue', '.php', '.pl', '.lua', '.swift', '.scala', '.r', '.tex', '.rst', '.diff', '.patch', '']);

/** The Content-Type of a file by its extension; HTML and the like are plain text here (the server never serves a snapshot's page as a page). */
export function contentType(path: string): string {
  const ext = extname(path).toLowerCase();
  return TYPES[ext] ?? (TEXT.has(ext) ? 'text/plain; charset=utf-8' : 'application/octet-stream');
}

/** Streams `bytes` as the answer; a client that goes away aborts the read (`stop`). */
async function stream(response: ServerResponse, bytes: AsyncIterable<Uint8Array>, stop: AbortController): Promise<void> {
  response.once('close', () => stop.abort());
  for await (const chunk of bytes) {
    if (response.destroyed) return;
    if (!response.write(chunk)) await Promise.race([once(response, 'drain'), once(response, 'close')]);
  }
  response.end();
}

/** A filename for Content-Disposition: ASCII in quotes, the full name as RFC 5987 UTF-8 (a byte that is not UTF-8 as U+FFFD). */
function disposition(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(wellFormedText(name))}`;
}

/** Headers of bytes from a snapshot: never run as a page of this origin (a sandbox without scripts). */
const CONTENT_HEADERS = { ...SAFE_HEADERS, 'Content-Security-Policy': "sandbox; default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'" };

/** GET /api/snapshots/:id/file?path=/a/b.txt[&download=1]: one file's bytes (`cairn dump`). */
async function fileBytes({ session, params, query, response }: RouteContext): Promise<void> {
  const path = snapshotPathParam(required(query, 'path'));
  const download = flag(query, 'download');
  const repo = await session.repo();
  const { id } = await session.find(params['id']!);
  // The path's errors (not there, a folder) come before any byte is sent.
  const found = await findFile(repo, id, path);
  const stop = new AbortController();
  response.writeHead(200, {
    ...CONTENT_HEADERS,
    'Content-Type': contentType(path),
    'Content-Length': found.node.size,
    ...(download ? { 'Content-Disposition': disposition(posix.basename(path)) } : {}),
  });
  await stream(response, dumpFile(repo, id, path, { signal: stop.signal }), stop);
}

/** GET /api/snapshots/:id/archive?path=/a&format=tar|tar.zst|zip: a folder (or the snapshot) as one archive (`cairn dump --archive`). */
async function archive({ session, params, query, response }: RouteContext): Promise<void> {
  const path = snapshotPathParam(query.get('path') ?? '/');
  const formatText = query.get('format') ?? 'tar';
  const format = ARCHIVE_FORMATS.find((f) => f === formatText);
  if (format === undefined) throw new ApiError(400, 'ERR_USAGE', `format wants ${ARCHIVE_FORMATS.join(', ')}, not ${JSON.stringify(formatText)}`);
  const repo = await session.repo();
  const { id } = await session.find(params['id']!);
  const stop = new AbortController();
  const bytes = dumpArchive(repo, id, path === '' ? [] : [path], { format, signal: stop.signal })[Symbol.asyncIterator]();
  // The first chunk comes after the paths were checked: errors about them are still a JSON answer.
  const first = await bytes.next();
  const name = `${path === '' ? shortId(id) : posix.basename(path)}.${format}`;
  response.writeHead(200, { ...CONTENT_HEADERS, 'Content-Type': format === 'zip' ? 'application/zip' : format === 'tar' ? 'application/x-tar' : 'application/zstd', 'Content-Disposition': disposition(name) });
  const rest = async function* (): AsyncGenerator<Uint8Array> {
    if (first.done !== true) yield first.value;
    for (let next = await bytes.next(); next.done !== true; next = await bytes.next()) yield next.value;
  };
  await stream(response, rest(), stop);
}

/** GET /api/stats: what the repository holds (`cairn stats --json`). */
async function repoStats({ session, response }: RouteContext): Promise<void> {
  sendJson(response, 200, await stats(await session.repo()));
}

/** GET /api/stats/history: per snapshot (oldest first) the stored bytes it added and the running total of them. */
async function statsHistory({ session, response }: RouteContext): Promise<void> {
  const { snapshots } = await session.snapshots();
  let total = 0;
  const points = snapshots.map((entry) => {
    const view = snapshotView(entry);
    total += view.summary.storedAdded;
    return { snapshot: view.short, id: view.id, time: view.time, host: view.host, bytesRead: view.summary.bytesRead, bytesAdded: view.summary.bytesAdded, storedAdded: view.summary.storedAdded, repoSize: total };
  });
  sendJson(response, 200, { points });
}

/** The browsing routes. */
export const browseRoutes: readonly Route[] = [
  { method: 'GET', path: '/api/repo', handle: repoInfo },
  { method: 'GET', path: '/api/snapshots', handle: snapshotList },
  { method: 'GET', path: '/api/snapshots/:id/ls', handle: listFolder },
  { method: 'GET', path: '/api/snapshots/:id/file', handle: fileBytes },
  { method: 'GET', path: '/api/snapshots/:id/archive', handle: archive },
  { method: 'GET', path: '/api/stats', handle: repoStats },
  { method: 'GET', path: '/api/stats/history', handle: statsHistory },
];
