/** The `cairn ui` page: a header with the pages and a search box, and the page the address's hash names. */
import { render } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { UNAUTHORIZED } from './api.js';
import type { PlanStatus } from './api.js';
import { typing } from './list-keys.js';
import { go, href, useRoute } from './route.js';
import type { Route } from './route.js';
import { useApi } from './use-api.js';
import { DiffPage } from './pages/diff.js';
import { PlansPage } from './pages/plans.js';
import { RestorePage } from './pages/restore.js';
import { SearchPage } from './pages/search.js';
import { StatsPage } from './pages/stats.js';
import { TimelinePage } from './pages/timeline.js';
import { TreePage } from './pages/tree.js';
import { VersionsPage } from './pages/versions.js';

const nav = [
  ['snapshots', 'Snapshots'],
  ['diff', 'Compare'],
  ['search', 'Search'],
  ['plans', 'Plans'],
  ['stats', 'Repository'],
] as const;

/** The page of `route`. */
function Page({ route }: { route: Route }) {
  const p = (name: string) => route.params.get(name) ?? undefined;
  const line = p('line');
  switch (route.page) {
    case 'tree':
      return <TreePage key={`${p('snap') ?? ''}:${p('path') ?? '/'}`} snapshot={p('snap') ?? 'latest'} path={p('path') ?? '/'} file={p('file')} line={line === undefined ? undefined : Number(line)} />;
    case 'diff':
      return <DiffPage from={p('from')} to={p('to')} file={p('file')} />;
    case 'search':
      return <SearchPage q={p('q') ?? ''} mode={p('mode') === 'content' ? 'content' : 'name'} />;
    case 'versions':
      return <VersionsPage path={p('path') ?? ''} />;
    case 'restore':
      // A new address is a new form (its fields start from the address).
      return <RestorePage key={`${p('snap') ?? ''}:${p('paths') ?? ''}`} snapshot={p('snap') ?? 'latest'} paths={p('paths') ?? ''} />;
    case 'plans':
      return <PlansPage />;
    case 'stats':
      return <StatsPage />;
    case 'snapshots':
      return <TimelinePage filter={p('tag') ?? ''} />;
    default:
      return <section class="page"><p class="error">No page “{route.page}”. <a href={href('snapshots')}>Snapshots</a></p></section>;
  }
}

/** The header's search box: `/` focuses it, Enter searches by name (or by content, when the search page is set to it). */
function SearchBox({ route }: { route: Route }) {
  const field = useRef<HTMLInputElement>(null);
  const [text, setText] = useState('');
  useEffect(() => {
    const on = (event: KeyboardEvent) => {
      if (event.key === '/' && !typing(event)) {
        event.preventDefault();
        const onPage = document.getElementById('search-page-field') as HTMLInputElement | null;
        (onPage ?? field.current)?.focus();
        (onPage ?? field.current)?.select();
      } else if (event.key === 'Escape' && typing(event)) (event.target as HTMLElement).blur();
    };
    document.addEventListener('keydown', on);
    return () => document.removeEventListener('keydown', on);
  }, []);
  if (route.page === 'search') return null;
  return (
    <form class="header-search" role="search" onSubmit={(e) => { e.preventDefault(); if (text.trim() !== '') go('search', { q: text.trim(), mode: 'name' }); setText(''); field.current?.blur(); }}>
      <input ref={field} type="search" placeholder="Search files  ( / )" value={text} onInput={(e) => setText((e.target as HTMLInputElement).value)} aria-label="search files by name" />
    </form>
  );
}

/** The whole page. */
function App() {
  const route = useRoute();
  const plans = useApi<{ plans: PlanStatus[] }>('plans');
  const failing = (plans.data?.plans ?? []).filter((p) => p.overdue || p.failures > 0).length;
  const section = route.page === 'tree' || route.page === 'restore' ? 'snapshots' : route.page === 'versions' ? 'search' : route.page;
  useEffect(() => window.scrollTo(0, 0), [route.page]);
  const [refused, setRefused] = useState(false);
  useEffect(() => {
    const on = () => setRefused(true);
    window.addEventListener(UNAUTHORIZED, on);
    return () => window.removeEventListener(UNAUTHORIZED, on);
  }, []);
  return (
    <>
      <header class="top">
        <a class="brand" href={href('snapshots')} aria-label="cairn: snapshots">
          <svg viewBox="0 0 24 24" aria-hidden="true"><ellipse cx="12" cy="19" rx="9" ry="3.2" /><ellipse cx="12" cy="12.5" rx="6.5" ry="2.8" /><ellipse cx="12" cy="7" rx="4" ry="2.3" /></svg>
          cairn
        </a>
        <nav class="tabs">
          {nav.map(([page, label]) => (
            <a key={page} href={href(page)} class={section === page ? 'active' : ''} aria-current={section === page ? 'page' : undefined}>
              {label}
              {page === 'plans' && failing > 0 ? <span class="flag" title={`${failing} plan(s) failing or overdue`}>{failing}</span> : null}
            </a>
          ))}
        </nav>
        <SearchBox route={route} />
      </header>
      <main>
        {refused ? (
          <section class="page refused" role="alert">
            <h1>This page needs its key</h1>
            <p>Open the address <code>cairn ui</code> printed (it ends in <code>?token=…</code>) again. Each start of <code>cairn ui</code> makes a new one.</p>
          </section>
        ) : <Page route={route} />}
      </main>
    </>
  );
}

const root = document.getElementById('app');
if (root !== null) {
  root.textContent = '';
  render(<App />, root);
}
