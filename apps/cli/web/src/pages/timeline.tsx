/** The snapshots as a timeline, grouped by host and project or client (or backed-up paths), with the repository's growth above. */
import { useMemo, useState } from 'preact/hooks';
import type { HistoryPoint, Snapshot } from '../api.js';
import { GrowthChart } from '../charts.js';
import { Badge, Heading, Status } from '../components.js';
import { bytes, relative, when } from '../format.js';
import { useListKeys } from '../list-keys.js';
import { go, href } from '../route.js';
import { useApi } from '../use-api.js';

/** Rows a group shows before "show all". */
const FIRST_ROWS = 25;

interface Group {
  readonly key: string;
  readonly host: string;
  readonly label: string;
  readonly snapshots: Snapshot[];
}

/** Groups newest-first snapshots by host and project or client (or, without either, by their paths). */
function groupSnapshots(snapshots: readonly Snapshot[]): Group[] {
  const groups = new Map<string, Group>();
  for (const s of snapshots) {
    const label = s.project ?? s.client ?? s.paths.join(', ');
    const key = `${s.host}\u0000${label}`;
    let group = groups.get(key);
    if (group === undefined) groups.set(key, (group = { key, host: s.host, label, snapshots: [] }));
    group.snapshots.push(s);
  }
  return [...groups.values()];
}

/** The timeline page. */
export function TimelinePage({ filter }: { filter: string }) {
  const list = useApi<{ snapshots: Snapshot[] }>('snapshots');
  const history = useApi<{ points: HistoryPoint[] }>('stats/history');
  const [expanded, setExpanded] = useState<ReadonlySet<string>>(new Set());
  const [tag, setTag] = useState(filter);
  const snapshots = list.data?.snapshots ?? [];
  const shown = useMemo(() => (tag === '' ? snapshots : snapshots.filter((s) => s.tags.includes(tag))), [snapshots, tag]);
  const groups = useMemo(() => groupSnapshots(shown), [shown]);
  const tags = useMemo(() => [...new Set(snapshots.flatMap((s) => s.tags))].sort(), [snapshots]);
  // The rows on screen, in order, for the keyboard.
  const rows = useMemo(() => groups.flatMap((g) => (expanded.has(g.key) ? g.snapshots : g.snapshots.slice(0, FIRST_ROWS))), [groups, expanded]);
  const index = useMemo(() => new Map(rows.map((s, i) => [s.id, i])), [rows]);
  const previous = useMemo(() => {
    // Each snapshot's predecessor in its group (the next older one), for "changes".
    const map = new Map<string, string>();
    for (const g of groups) g.snapshots.forEach((s, i) => { const older = g.snapshots[i + 1]; if (older !== undefined) map.set(s.id, older.short); });
    return map;
  }, [groups]);
  const open = (row: number) => { const s = rows[row]; if (s !== undefined) go('tree', { snap: s.short, path: '/' }); };
  const [selected, setSelected] = useListKeys(rows.length, open);

  return (
    <section class="page timeline">
      <Heading title="Snapshots">
        <span class="muted">{snapshots.length} snapshot{snapshots.length === 1 ? '' : 's'}</span>
        {tags.length > 0 ? (
          <label class="inline">tag{' '}
            <select value={tag} onChange={(e) => setTag((e.target as HTMLSelectElement).value)}>
              <option value="">all</option>
              {tags.map((t) => <option key={t} value={t}>{t}</option>)}
            </select>
          </label>
        ) : null}
      </Heading>
      {history.data !== undefined ? <GrowthChart points={history.data.points} onPick={(id) => go('tree', { snap: id, path: '/' })} /> : <Status error={history.error} loading={history.loading} what="the repository's history" />}
      <Status error={list.error} loading={list.loading} what="snapshots" />
      {list.data !== undefined && snapshots.length === 0 ? <p class="empty">No snapshots yet: run <code>cairn backup PATH</code>.</p> : null}
      {groups.map((g) => {
        const all = expanded.has(g.key);
        const visible = all ? g.snapshots : g.snapshots.slice(0, FIRST_ROWS);
        return (
          <div class="group" key={g.key}>
            <h2><span class="host">{g.host}</span> <span class="label">{g.label}</span> <span class="muted">· {g.snapshots.length}</span></h2>
            <ol class="rows snapshots">
              {visible.map((s) => {
                const row = index.get(s.id) ?? -1;
                const prev = previous.get(s.id);
                return (
                  <li key={s.id} data-row={row} class={row === selected ? 'row selected' : 'row'} onClick={() => setSelected(row)}>
                    <span class="dot" aria-hidden="true" />
                    <a class="main" href={href('tree', { snap: s.short, path: '/' })}>
                      <time datetime={s.time} title={relative(s.time)}>{when(s.time)}</time>
                      <code class="id">{s.short}</code>
                    </a>
                    <span class="tags">
                      {s.kind !== 'backup' ? <Badge kind="kind">{s.kind}</Badge> : null}
                      {s.tags.map((t) => <Badge key={t}>{t}</Badge>)}
                    </span>
                    <span class="nums">
                      {s.summary === null ? null : <><span title="files">{s.summary.files} file{s.summary.files === 1 ? '' : 's'}</span> <span class="added" title="bytes new to the repository">+{bytes(s.summary.bytesAdded)}</span></>}
                    </span>
                    {prev === undefined ? <span class="link-slot" /> : <a class="link-slot" href={href('diff', { from: prev, to: s.short })} title="what changed since the snapshot before">changes</a>}
                  </li>
                );
              })}
            </ol>
            {g.snapshots.length > FIRST_ROWS && !all ? (
              <button class="more" onClick={() => setExpanded(new Set([...expanded, g.key]))}>show all {g.snapshots.length}</button>
            ) : null}
          </div>
        );
      })}
    </section>
  );
}
