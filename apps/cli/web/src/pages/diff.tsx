/** Two snapshots compared: the changed paths, then one file's texts side by side. */
import { useMemo } from 'preact/hooks';
import type { Change, FileDiff, Snapshot } from '../api.js';
import { query } from '../api.js';
import { Badge, Heading, Status } from '../components.js';
import { bytes, when } from '../format.js';
import { useListKeys } from '../list-keys.js';
import { go, href } from '../route.js';
import { useApi } from '../use-api.js';
import { sideBySide } from './side-by-side.js';

/** A snapshot chooser. */
function Picker({ label, value, snapshots, onPick }: { label: string; value: string; snapshots: readonly Snapshot[]; onPick: (id: string) => void }) {
  return (
    <label class="picker">{label}{' '}
      <select value={value} onChange={(e) => onPick((e.target as HTMLSelectElement).value)}>
        {value !== '' && !snapshots.some((s) => s.short === value) ? <option value={value}>{value}</option> : null}
        {snapshots.map((s) => <option key={s.id} value={s.short}>{s.short} · {when(s.time)} · {s.host} {s.project ?? s.paths.join(', ')}</option>)}
      </select>
    </label>
  );
}

/** One file's before and after, side by side. */
function FileSides({ from, to, path }: { from: string; to: string; path: string }) {
  const loaded = useApi<FileDiff>(`diff/file${query({ from, to, path })}`);
  const rows = useMemo(() => (loaded.data === undefined || loaded.data.binary ? [] : sideBySide(loaded.data.before ?? '', loaded.data.after ?? '')), [loaded.data]);
  return (
    <article class="file-diff" aria-label={`changes of ${path}`}>
      <header>
        <h2 title={path}>{path}</h2>
        <div class="actions">
          <a class="button" href={href('versions', { path })}>Versions</a>
          <button class="close" onClick={() => go('diff', { from, to })} aria-label="close the file">✕</button>
        </div>
      </header>
      <Status error={loaded.error} loading={loaded.loading} what={path} />
      {loaded.data?.binary === true ? <p class="muted">Binary (or larger than 1 MiB): no text to compare.</p> : null}
      {loaded.data !== undefined && !loaded.data.binary ? (
        <div class="sides-wrap">
          <table class="sides">
            <colgroup><col class="ln" /><col /><col class="ln" /><col /></colgroup>
            <thead><tr><th colSpan={2}>{from}{loaded.data.before === null ? ' (absent)' : ''}</th><th colSpan={2}>{to}{loaded.data.after === null ? ' (absent)' : ''}</th></tr></thead>
            <tbody>
              {rows.length === 0 ? <tr><td colSpan={4} class="muted">The texts are the same.</td></tr> : null}
              {rows.map((row, i) => row.kind === 'fold' ? (
                <tr key={i} class="fold"><td colSpan={4}>⋯ {row.count} unchanged line{row.count === 1 ? '' : 's'}</td></tr>
              ) : (
                <tr key={i} class={row.kind}>
                  <td class="ln">{row.left?.n ?? ''}</td>
                  <td class={row.left === null ? 'blank' : row.kind === 'same' ? '' : 'del'}>{row.left?.text ?? ''}</td>
                  <td class="ln">{row.right?.n ?? ''}</td>
                  <td class={row.right === null ? 'blank' : row.kind === 'same' ? '' : 'ins'}>{row.right?.text ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </article>
  );
}

const changeKind: Record<Change['change'], string> = { added: 'added', removed: 'removed', modified: 'modified', type: 'type changed' };

/** The diff page: `from`, `to` (snapshots; default the latest and the one before it) and optionally `file`. */
export function DiffPage({ from, to, file }: { from: string | undefined; to: string | undefined; file: string | undefined }) {
  const list = useApi<{ snapshots: Snapshot[] }>('snapshots', 60_000);
  const snapshots = list.data?.snapshots ?? [];
  const latest = snapshots[0];
  // By default: the latest snapshot (or the one named) against its parent, else the next older one.
  const toSnap = to === undefined ? latest : snapshots.find((s) => s.short === to || s.id.startsWith(to));
  const parent = toSnap?.parent == null ? undefined : snapshots.find((s) => s.id === toSnap.parent);
  const older = toSnap === undefined ? undefined : snapshots[snapshots.indexOf(toSnap) + 1];
  const a = from ?? parent?.short ?? older?.short ?? '';
  const b = to ?? latest?.short ?? '';
  const ready = a !== '' && b !== '';
  const changes = useApi<{ changes: Change[] }>(ready ? `diff${query({ from: a, to: b })}` : null);
  const rows = changes.data?.changes ?? [];
  const open = (row: number) => { const c = rows[row]; if (c !== undefined) go('diff', { from: a, to: b, file: c.path }); };
  const [selected, setSelected] = useListKeys(rows.length, open, () => (file === undefined ? go('snapshots') : go('diff', { from: a, to: b })), Math.max(0, rows.findIndex((c) => c.path === file)));
  return (
    <section class={`page diff${file === undefined ? '' : ' has-file'}`}>
      <Heading title="Compare snapshots">
        <Picker label="from" value={a} snapshots={snapshots} onPick={(id) => go('diff', { from: id, to: b })} />
        <Picker label="to" value={b} snapshots={snapshots} onPick={(id) => go('diff', { from: a, to: id })} />
      </Heading>
      <Status error={list.error} loading={list.loading} what="snapshots" />
      {list.data !== undefined && !ready ? <p class="empty">Two snapshots are needed to compare.</p> : null}
      <div class="split">
        <div class="listing">
          <Status error={changes.error} loading={changes.loading} what="the changes" />
          {changes.data !== undefined ? <p class="muted count">{rows.length} changed path{rows.length === 1 ? '' : 's'}</p> : null}
          <ol class="rows changes" aria-label="changed paths">
            {rows.map((c, i) => (
              <li key={c.path} data-row={i} class={`row ${c.change}${i === selected ? ' selected' : ''}${c.path === file ? ' open' : ''}`} onClick={() => setSelected(i)}>
                <Badge kind={c.change}>{changeKind[c.change]}</Badge>
                <a class="main" href={href('diff', { from: a, to: b, file: c.path })}><span class="name">{c.path}</span></a>
                <span class="nums">{c.before === null ? '' : bytes(c.before.size)}{c.before !== null && c.after !== null ? ' → ' : ''}{c.after === null ? '' : bytes(c.after.size)}</span>
              </li>
            ))}
          </ol>
        </div>
        {file === undefined ? <div class="preview-slot hint muted">Pick a changed file to compare its texts.</div> : <FileSides from={a} to={b} path={file} />}
      </div>
    </section>
  );
}
