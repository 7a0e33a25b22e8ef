/** A snapshot's tree: one folder's entries, with a preview of the chosen file, downloads, and a selection to restore. */
import { useMemo, useState } from 'preact/hooks';
import { archiveUrl, query } from '../api.js';
import { encodeName } from '../names.js';
import type { Entry, Snapshot } from '../api.js';
import { Badge, Crumbs, Heading, Status } from '../components.js';
import { bytes, join, parentOf, when } from '../format.js';
import { useListKeys } from '../list-keys.js';
import { go, href } from '../route.js';
import { useApi } from '../use-api.js';
import { Preview } from './preview.js';

/** The paths picked to restore, per snapshot; kept while the user moves between folders. */
const picked = new Map<string, Set<string>>();

/** A small drawn icon per entry type (no icon font, no emoji: not every system has one). */
function Icon({ type }: { type: Entry['type'] }) {
  if (type === 'dir') return <svg class="icon dir" viewBox="0 0 16 16" aria-hidden="true"><path d="M1.5 3.5h4.2l1.5 1.6h7.3v8.4h-13z" /></svg>;
  if (type === 'symlink') return <svg class="icon link" viewBox="0 0 16 16" aria-hidden="true"><path d="M3 12.5c0-4 2.5-6.5 7-6.5h2.5M10 3.5l3 2.5-3 2.5" /></svg>;
  return <svg class="icon file" viewBox="0 0 16 16" aria-hidden="true"><path d="M3.5 1.5h6l3 3v10h-9zM9.5 1.5v3h3" /></svg>;
}

/** The tree page: `snap`, `path` (a folder) and optionally `file` (previewed) and `line`. */
export function TreePage({ snapshot, path, file, line }: { snapshot: string; path: string; file: string | undefined; line: number | undefined }) {
  const listing = useApi<{ path: string; entries: Entry[] }>(`snapshots/${encodeName(snapshot)}/ls${query({ path })}`);
  // The snapshot's time, host and tags for the heading: a recent list is reused (moving between folders fetches it once).
  const list = useApi<{ snapshots: Snapshot[] }>('snapshots', 60_000);
  const about = list.data?.snapshots.find((s) => s.short === snapshot || s.id.startsWith(snapshot)) ?? (snapshot === 'latest' ? list.data?.snapshots[0] : undefined);
  const [, redraw] = useState(0);
  const selection = picked.get(snapshot) ?? new Set<string>();
  const entries = useMemo(() => {
    const list = [...(listing.data?.entries ?? [])];
    return list.sort((a, b) => Number(b.type === 'dir') - Number(a.type === 'dir') || a.name.localeCompare(b.name));
  }, [listing.data]);
  const openEntry = (entry: Entry) => {
    const full = join(path, entry.name);
    if (entry.type === 'dir') go('tree', { snap: snapshot, path: full });
    else go('tree', { snap: snapshot, path, file: full });
  };
  const up = () => {
    if (file !== undefined) go('tree', { snap: snapshot, path });
    else if (path !== '/') go('tree', { snap: snapshot, path: parentOf(path) });
    else go('snapshots');
  };
  const initial = file === undefined ? 0 : Math.max(0, entries.findIndex((e) => join(path, e.name) === file));
  const [selected, setSelected] = useListKeys(entries.length, (row) => { const e = entries[row]; if (e !== undefined) openEntry(e); }, up, initial);
  const toggle = (full: string) => {
    const next = new Set(selection);
    if (next.has(full)) next.delete(full);
    else next.add(full);
    picked.set(snapshot, next);
    redraw((n) => n + 1);
  };
  const size = file === undefined ? undefined : entries.find((e) => join(path, e.name) === file)?.size;

  return (
    <section class={`page tree${file === undefined ? '' : ' has-file'}`}>
      <Heading title={<>Snapshot <code>{about?.short ?? snapshot}</code>{about === undefined ? null : <span class="about"> {when(about.time)} · {about.host} · {about.project ?? about.client ?? about.paths.join(', ')} {about.tags.map((t) => <Badge key={t}>{t}</Badge>)}</span>}</>}>
        <a class="button" href={archiveUrl(snapshot, path, 'tar')} download>Folder as tar</a>
        <a class="button" href={archiveUrl(snapshot, path, 'zip')} download>as zip</a>
        {selection.size > 0 ? (
          <a class="button primary" href={href('restore', { snap: snapshot, paths: [...selection].join('\n') })}>Restore {selection.size} selected…</a>
        ) : (
          <a class="button" href={href('restore', { snap: snapshot, paths: path })}>Restore folder…</a>
        )}
      </Heading>
      <Crumbs snapshot={snapshot} path={path} />
      <div class="split">
        <div class="listing">
          <Status error={listing.error} loading={listing.loading} what={path} />
          {listing.data !== undefined && entries.length === 0 ? <p class="empty">This folder is empty.</p> : null}
          <ol class="rows entries" role="listbox" aria-label={`entries of ${path}`}>
            {path !== '/' ? (
              <li class="row up"><a href={href('tree', { snap: snapshot, path: parentOf(path) })}>⬑ ..</a></li>
            ) : null}
            {entries.map((e, i) => {
              const full = join(path, e.name);
              return (
                <li key={e.name} data-row={i} role="option" aria-selected={i === selected} class={`row ${e.type}${i === selected ? ' selected' : ''}${full === file ? ' open' : ''}`} onClick={() => setSelected(i)}>
                  <input type="checkbox" checked={selection.has(full)} onChange={() => toggle(full)} aria-label={`select ${e.name} to restore`} />
                  <a class="main" href={e.type === 'dir' ? href('tree', { snap: snapshot, path: full }) : href('tree', { snap: snapshot, path, file: full })}>
                    <Icon type={e.type} />
                    <span class="name">{e.name}{e.type === 'symlink' && e.target !== undefined ? <span class="muted"> → {e.target}</span> : null}</span>
                  </a>
                  <span class="nums">{e.type === 'file' ? bytes(e.size) : ''}</span>
                  <time class="nums wide" datetime={e.mtime}>{when(e.mtime)}</time>
                </li>
              );
            })}
          </ol>
        </div>
        {file === undefined ? (
          <div class="preview-slot hint muted">Pick a file to preview it (Enter or click).</div>
        ) : (
          <Preview snapshot={snapshot} path={file} {...(size === undefined ? {} : { size })} {...(line === undefined ? {} : { line })} onClose={() => go('tree', { snap: snapshot, path })} />
        )}
      </div>
    </section>
  );
}
