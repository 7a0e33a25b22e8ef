/** Small pieces several pages share: loading and error states, breadcrumbs, a progress bar. */
import { Fragment } from 'preact';
import type { ComponentChildren } from 'preact';
import { href } from './route.js';

/** The error of an API call, in one line, or the loading note. */
export function Status({ error, loading, what }: { error: Error | undefined; loading: boolean; what: string }) {
  if (error !== undefined) return <p class="error" role="alert">Could not load {what}: {error.message}</p>;
  if (loading) return <p class="muted">Loading {what}…</p>;
  return null;
}

/** A page's title line with actions on the right. */
export function Heading({ title, children }: { title: ComponentChildren; children?: ComponentChildren }) {
  return (
    <div class="heading">
      <h1>{title}</h1>
      {children === undefined ? null : <div class="actions">{children}</div>}
    </div>
  );
}

/** A path as links to each of its folders in a snapshot's tree. */
export function Crumbs({ snapshot, path }: { snapshot: string; path: string }) {
  const parts = path.split('/').filter((p) => p !== '');
  return (
    <nav class="crumbs" aria-label="folder">
      <a href={href('tree', { snap: snapshot, path: '/' })}>/</a>
      {parts.map((part, i) => (
        <span key={i}>
          {i > 0 ? <span class="sep">/</span> : null}
          <a href={href('tree', { snap: snapshot, path: `/${parts.slice(0, i + 1).join('/')}` })}>{part}</a>
        </span>
      ))}
    </nav>
  );
}

/** A bar from 0 to `total` (indeterminate when the total is not known). */
export function ProgressBar({ done, total, label }: { done: number; total: number | undefined; label: string }) {
  const known = total !== undefined && total > 0;
  const percent = known ? Math.min(100, (done / total) * 100) : 0;
  return (
    <div class="progress" role="progressbar" aria-label={label} aria-valuemin={0} aria-valuemax={known ? total : undefined} aria-valuenow={known ? done : undefined}>
      <div class={known ? 'fill' : 'fill indeterminate'} style={known ? { width: `${percent}%` } : undefined} />
      <span class="progress-text">{known ? `${percent.toFixed(0)} %` : 'working…'}</span>
    </div>
  );
}

/** A small coloured label. */
export function Badge({ kind, children }: { kind?: string; children: ComponentChildren }) {
  return <span class={`badge ${kind ?? ''}`}>{children}</span>;
}

/** A result object (a job's result) as a list of its keys and values. */
export function Fields({ value }: { value: Record<string, unknown> }) {
  return (
    <dl class="fields">
      {Object.entries(value).map(([key, v]) => (
        <Fragment key={key}>
          <dt>{key}</dt>
          <dd>{typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v)}</dd>
        </Fragment>
      ))}
    </dl>
  );
}
