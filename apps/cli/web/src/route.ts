/** Hash routes: `#/page?key=value`, so the browser's back button and links work without a server route per page. */
import { useEffect, useState } from 'preact/hooks';
import { NameParams, queryString } from './names.js';

/** A parsed route: the page and its parameters. */
export interface Route {
  readonly page: string;
  readonly params: NameParams;
}

/** The route in the address bar now. */
export function currentRoute(): Route {
  const hash = location.hash.replace(/^#\/?/, '');
  const cut = hash.indexOf('?');
  const page = (cut < 0 ? hash : hash.slice(0, cut)) || 'snapshots';
  return { page, params: new NameParams(cut < 0 ? '' : hash.slice(cut + 1)) };
}

/** The link to `page` with `params` (undefined values left out). */
export function href(page: string, params: Record<string, string | number | undefined> = {}): string {
  return `#/${page}${queryString(params, true)}`;
}

/** Goes to `page` with `params`; `replace` keeps the browser history as it is. */
export function go(page: string, params: Record<string, string | number | undefined> = {}, replace = false): void {
  const target = href(page, params);
  if (replace) {
    history.replaceState(null, '', target);
    window.dispatchEvent(new HashChangeEvent('hashchange'));
  } else location.hash = target;
}

/** The current route, re-rendering on every change. */
export function useRoute(): Route {
  const [route, setRoute] = useState(currentRoute);
  useEffect(() => {
    const on = () => setRoute(currentRoute());
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return route;
}
