/** The repository: its identity and size, growth over time, a check run as a job, and recent jobs. */
import { useState } from 'preact/hooks';
import { send } from '../api.js';
import type { HistoryPoint, Job, RepoInfo } from '../api.js';
import { GrowthChart } from '../charts.js';
import { Badge, Heading, Status } from '../components.js';
import { JobResult } from '../job-result.js';
import { bytes } from '../format.js';
import { JobView } from '../job-view.js';
import { useUpKey } from '../list-keys.js';
import { go } from '../route.js';
import { useApi } from '../use-api.js';

/** The stats page. */
export function StatsPage() {
  const repo = useApi<RepoInfo>('repo');
  const history = useApi<{ points: HistoryPoint[] }>('stats/history');
  const [refresh, setRefresh] = useState(0);
  const jobs = useApi<{ jobs: Job[] }>(`jobs?r=${refresh}`);
  const [readData, setReadData] = useState(false);
  const [job, setJob] = useState<string | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [running, setRunning] = useState(false);
  useUpKey(() => go('snapshots'));
  const check = async () => {
    setError(undefined);
    try {
      setJob((await send<{ job: string }>('POST', 'check', { readData })).job);
      setRunning(true);
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  };
  const r = repo.data;
  const points = history.data?.points ?? [];
  const added = points.reduce((sum, p) => sum + p.bytesAdded, 0);
  return (
    <section class="page stats">
      <Heading title="Repository" />
      <Status error={repo.error} loading={repo.loading} what="the repository" />
      {r === undefined ? null : (
        <dl class="facts">
          <dt>location</dt><dd><code>{r.location}</code></dd>
          <dt>id</dt><dd><code>{r.id.slice(0, 16)}</code></dd>
          <dt>format</dt><dd>version {r.version}{r.encrypted ? ' · encrypted' : ' · not encrypted'}{r.deltas ? ' · deltas' : ''}</dd>
          <dt>size</dt><dd>{bytes(r.size)} in {r.packs} pack{r.packs === 1 ? '' : 's'}</dd>
          <dt>snapshots</dt><dd>{r.snapshots}</dd>
          {points.length > 0 ? <><dt>new data</dt><dd>{bytes(added)} over {points.length} backups</dd></> : null}
        </dl>
      )}
      <h2>Growth</h2>
      {history.data === undefined ? <Status error={history.error} loading={history.loading} what="the history" /> : <GrowthChart points={points} />}
      <h2>Check</h2>
      <div class="check-form">
        <label><input type="checkbox" checked={readData} onChange={(e) => setReadData((e.target as HTMLInputElement).checked)} /> also read every pack back (slower)</label>
        <button class="primary" onClick={check} disabled={running}>Check the repository</button>
      </div>
      {error === undefined ? null : <p class="error" role="alert">{error}</p>}
      {job === undefined ? null : <JobView key={job} id={job} kind="check" label="Check" unit="items" onEnd={() => { setRunning(false); setRefresh((n) => n + 1); }} />}
      <h2>Jobs</h2>
      <Status error={jobs.error} loading={jobs.loading && jobs.data === undefined} what="jobs" />
      {jobs.data !== undefined && jobs.data.jobs.length === 0 ? <p class="muted">No jobs since `cairn ui` started.</p> : null}
      <ol class="rows jobs-list">
        {(jobs.data?.jobs ?? []).map((j) => (
          <li key={j.id} class={`row job-row ${j.state}`}>
            <span class="name">{j.kind}</span>
            <Badge kind={j.state === 'done' ? 'ok' : j.state === 'failed' ? 'failed' : j.state === 'cancelled' ? 'warn' : ''}>{j.state}</Badge>
            {j.error === undefined ? null : <span class="error">{j.error.message}</span>}
            {j.result === undefined ? null : <JobResult kind={j.kind} result={j.result} />}
          </li>
        ))}
      </ol>
    </section>
  );
}
