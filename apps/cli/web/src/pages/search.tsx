/** Search across history: by file name (find) or by content (grep), with the snapshot that introduced each content match. */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { FindMatch, GrepMatch } from '../api.js';
import { query } from '../api.js';
import { Heading, Status } from '../components.js';
import { bytes, parentOf, when } from '../format.js';
import { useListKeys } from '../list-keys.js';
import { go, href } from '../route.js';
import { useApi } from '../use-api.js';

/** A name without glob characters matches anywhere in a name. */
function namePattern(text: string): string {
  return /[*?[\]{}]/.test(text) ? text : `*${text}*`;
}

interface Hit {
  readonly path: string;
  readonly snapshot: string;
  readonly line?: number;
  readonly text?: string;
  readonly detail: string;
  readonly introduced?: { snapshot: string; time: string } | null;
}

/** The search page: `q` and `mode` (name or content). */
export function SearchPage({ q, mode }: { q: string; mode: 'name' | 'content' }) {
  const [text, setText] = useState(q);
  const field = useRef<HTMLInputElement>(null);
  useEffect(() => setText(q), [q]);
  useEffect(() => { if (q === '') field.current?.focus(); }, []);
  const found = useApi<{ matches: FindMatch[]; total?: number; truncated?: boolean }>(q !== '' && mode === 'name' ? `find${query({ pattern: namePattern(q), limit: 500 })}` : null);
  const grepped = useApi<{ matches: GrepMatch[]; total?: number; truncated?: boolean }>(q !== '' && mode === 'content' ? `grep${query({ q, limit: 500 })}` : null);
  const hits: Hit[] = mode === 'name'
    ? (found.data?.matches ?? []).map((m) => ({ path: m.path, snapshot: m.snapshots[m.snapshots.length - 1] ?? '', detail: `${m.size === undefined || m.type === 'dir' ? '' : `${bytes(m.size)}, `}in ${m.snapshots.length} snapshot${m.snapshots.length === 1 ? '' : 's'}, ${when(m.first)} – ${when(m.last)}` }))
    : (grepped.data?.matches ?? []).map((m) => ({ path: m.path, snapshot: m.snapshot, line: m.line, text: m.text, detail: `snapshot ${m.snapshot}`, introduced: m.introduced }));
  const openHit = (hit: Hit) => go('tree', { snap: hit.snapshot, path: parentOf(hit.path), file: hit.path, line: hit.line });
  const [selected, setSelected] = useListKeys(hits.length, (row) => { const h = hits[row]; if (h !== undefined) openHit(h); }, () => go('snapshots'));
  const loaded = mode === 'name' ? found : grepped;
  const submit = (next: 'name' | 'content') => go('search', { q: text.trim(), mode: next });
  return (
    <section class="page search">
      <Heading title="Search history" />
      <form class="search-form" onSubmit={(e) => { e.preventDefault(); submit(mode); }}>
        <input ref={field} id="search-page-field" type="search" value={text} placeholder={mode === 'name' ? 'file name or glob (*.md, src/*.ts)' : 'text in files'} onInput={(e) => setText((e.target as HTMLInputElement).value)} aria-label="search for" />
        <div class="modes" role="radiogroup" aria-label="search by">
          <label><input type="radio" name="mode" checked={mode === 'name'} onChange={() => submit('name')} /> by name</label>
          <label><input type="radio" name="mode" checked={mode === 'content'} onChange={() => submit('content')} /> by content</label>
        </div>
        <button type="submit" class="primary">Search</button>
      </form>
      <Status error={loaded.error} loading={loaded.loading} what="matches" />
      {loaded.data !== undefined ? <p class="muted count">{hits.length} match{hits.length === 1 ? '' : 'es'}{loaded.data.truncated === true ? ` shown, of ${loaded.data.total ?? 'more'}` : ''}</p> : null}
      <ol class="rows hits" aria-label="matches">
        {hits.map((h, i) => (
          <li key={`${h.path}:${h.line ?? ''}:${h.snapshot}`} data-row={i} class={`row${i === selected ? ' selected' : ''}`} onClick={() => setSelected(i)}>
            <a class="main" href={href('tree', { snap: h.snapshot, path: parentOf(h.path), file: h.path, line: h.line })}>
              <span class="name">{h.path}{h.line === undefined ? '' : `:${h.line}`}</span>
              {h.text === undefined ? null : <code class="line-text">{h.text}</code>}
            </a>
            <span class="detail muted">
              {h.detail}
              {h.introduced === undefined ? null : h.introduced === null ? ' · introduced before the history shown' : <> · introduced in <a href={href('tree', { snap: h.introduced.snapshot, path: parentOf(h.path), file: h.path, line: h.line })}><code>{h.introduced.snapshot}</code></a> ({when(h.introduced.time)})</>}
            </span>
            <a class="link-slot" href={href('versions', { path: h.path })}>versions</a>
          </li>
        ))}
      </ol>
    </section>
  );
}
