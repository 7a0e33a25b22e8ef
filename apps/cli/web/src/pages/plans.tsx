/** The backup plans: last and next run, failures since the last success, overdue plans flagged. */
import type { PlanStatus } from '../api.js';
import { Badge, Heading, Status } from '../components.js';
import { bytes, relative, when } from '../format.js';
import { useListKeys } from '../list-keys.js';
import { go, href } from '../route.js';
import { useApi } from '../use-api.js';

/** A plan's name (status --json calls it `plan`). */
export const planName = (p: PlanStatus): string => p.plan ?? p.name ?? '?';

/** The plans page. */
export function PlansPage() {
  const loaded = useApi<{ plans: PlanStatus[] }>('plans');
  const plans = loaded.data?.plans ?? [];
  const [selected, setSelected] = useListKeys(plans.length, (row) => { const s = plans[row]?.lastRun?.snapshot; if (s) go('tree', { snap: s.slice(0, 8), path: '/' }); }, () => go('snapshots'));
  const bad = plans.filter((p) => p.overdue || p.failures > 0).length;
  return (
    <section class="page plans">
      <Heading title="Plans">{loaded.data === undefined ? null : bad > 0 ? <Badge kind="failed">{bad} need{bad === 1 ? 's' : ''} attention</Badge> : <Badge kind="ok">all on time</Badge>}</Heading>
      <Status error={loaded.error} loading={loaded.loading} what="the plans" />
      {loaded.data !== undefined && plans.length === 0 ? <p class="empty">No plans: write them in plans.json and run <code>cairn daemon</code>.</p> : null}
      <ol class="rows plan-list" aria-label="plans">
        {plans.map((p, i) => {
          const failing = p.overdue || p.failures > 0;
          const error = p.lastRun?.error ?? p.lastError ?? null;
          return (
            <li key={planName(p)} data-row={i} data-plan={planName(p)} class={`row plan${failing ? ' failing' : ''}${i === selected ? ' selected' : ''}`} onClick={() => setSelected(i)}>
              <div class="plan-head">
                <span class="name">{planName(p)}</span>
                {p.overdue ? <Badge kind="failed">overdue</Badge> : p.failures > 0 ? <Badge kind="warn">failing</Badge> : <Badge kind="ok">ok</Badge>}
                <span class="muted">{p.schedule ?? (p.trigger === 'activity' ? 'on file activity' : '')}</span>
              </div>
              <dl class="plan-facts">
                <dt>last run</dt>
                <dd>{p.lastRun === null ? 'never' : <><span class={`result ${p.lastRun.result}`}>{p.lastRun.result}</span> {when(p.lastRun.time)} <span class="muted">({relative(p.lastRun.time)})</span>{p.lastRun.snapshot ? <> · <a href={href('tree', { snap: p.lastRun.snapshot.slice(0, 8), path: '/' })}><code>{p.lastRun.snapshot.slice(0, 8)}</code></a></> : null}</>}</dd>
                <dt>next run</dt>
                <dd>{p.nextRun === null ? (p.trigger === 'activity' ? 'on file activity' : 'none') : <>{when(p.nextRun)} <span class="muted">({relative(p.nextRun)})</span></>}</dd>
                <dt>failures</dt>
                <dd class={p.failures > 0 ? 'bad' : ''}>{p.failures} since the last success</dd>
                {p.why ? <><dt>why</dt><dd class="bad">{p.why}</dd></> : null}
                {error ? <><dt>error</dt><dd class="bad"><code>{error}</code></dd></> : null}
                {p.repositorySize == null ? null : <><dt>repository</dt><dd>{bytes(p.repositorySize)}</dd></>}
              </dl>
            </li>
          );
        })}
      </ol>
    </section>
  );
}
