/** Every distinct version of one file across the snapshots, with preview, compare and restore of one version. */
import { useEffect, useState } from 'preact/hooks';
import type { Version } from '../api.js';
import { query } from '../api.js';
import { Heading, Status } from '../components.js';
import { bytes, parentOf, when } from '../format.js';
import { useListKeys } from '../list-keys.js';
import { go, href } from '../route.js';
import { useApi } from '../use-api.js';

/** The versions page: `path`. */
export function VersionsPage({ path }: { path: string }) {
  const [text, setText] = useState(path);
  useEffect(() => setText(path), [path]);
  const loaded = useApi<{ path: string; versions: Version[] }>(path === '' ? null : `versions${query({ path })}`);
  // Newest first on screen; the API lists oldest first.
  const versions = [...(loaded.data?.versions ?? [])].reverse();
  const open = (row: number) => { const v = versions[row]; if (v !== undefined) go('tree', { snap: v.snapshot, path: parentOf(path), file: path }); };
  const [selected, setSelected] = useListKeys(versions.length, open, () => history.back());
  return (
    <section class="page versions">
      <Heading title="Versions of a file" />
      <form class="search-form" onSubmit={(e) => { e.preventDefault(); go('versions', { path: text.trim() }); }}>
        <input type="text" value={text} placeholder="/path/in/the/snapshots.txt" onInput={(e) => setText((e.target as HTMLInputElement).value)} aria-label="file path" />
        <button type="submit" class="primary">Show versions</button>
      </form>
      <Status error={loaded.error} loading={loaded.loading} what={`the versions of ${path}`} />
      {loaded.data !== undefined ? <p class="muted count">{versions.length} version{versions.length === 1 ? '' : 's'} of <code>{loaded.data.path}</code></p> : null}
      <ol class="rows versions-list" aria-label="versions">
        {versions.map((v, i) => {
          const older = versions[i + 1];
          return (
            <li key={`${v.snapshot}`} data-row={i} class={`row${i === selected ? ' selected' : ''}`} onClick={() => setSelected(i)}>
              <span class="vnum">v{versions.length - i}</span>
              <a class="main" href={href('tree', { snap: v.snapshot, path: parentOf(path), file: path })}>
                <time datetime={v.time}>{when(v.time)}</time> <code class="id">{v.snapshot}</code>
              </a>
              <span class="nums">{bytes(v.size)}</span>
              <span class="row-actions">
                {older === undefined ? null : <a href={href('diff', { from: older.snapshot, to: v.snapshot, file: path })}>compare with v{versions.length - i - 1}</a>}
                <a class="button" href={href('restore', { snap: v.snapshot, paths: path })}>Restore this version…</a>
              </span>
            </li>
          );
        })}
      </ol>
    </section>
  );
}
