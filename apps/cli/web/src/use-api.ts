/** Loads an API route into a component: its data, its error, and whether it still loads. */
import { useEffect, useState } from 'preact/hooks';
import { get } from './api.js';

/** The state of one API call. */
export interface Loaded<T> {
  readonly data: T | undefined;
  readonly error: Error | undefined;
  readonly loading: boolean;
}

/** Each route's last answer and when it came, so a page may reuse a recent one (the snapshot list, for headings). */
const answers = new Map<string, { at: number; data: unknown }>();

/** The answer to `route` if it is younger than `maxAgeMs`. */
function recent<T>(route: string | null, maxAgeMs: number): T | undefined {
  if (route === null || maxAgeMs <= 0) return undefined;
  const hit = answers.get(route);
  return hit !== undefined && Date.now() - hit.at < maxAgeMs ? (hit.data as T) : undefined;
}

/** GETs `route` (null: nothing to load) and reloads when it changes; an answer younger than `maxAgeMs` is reused instead. */
export function useApi<T>(route: string | null, maxAgeMs = 0): Loaded<T> {
  const [state, setState] = useState<Loaded<T>>(() => {
    const data = recent<T>(route, maxAgeMs);
    return { data, error: undefined, loading: route !== null && data === undefined };
  });
  useEffect(() => {
    if (route === null) {
      setState({ data: undefined, error: undefined, loading: false });
      return undefined;
    }
    const reused = recent<T>(route, maxAgeMs);
    if (reused !== undefined) {
      setState({ data: reused, error: undefined, loading: false });
      return undefined;
    }
    const abort = new AbortController();
    setState((s) => ({ data: s.data, error: undefined, loading: true }));
    get<T>(route, abort.signal).then(
      (data) => {
        answers.set(route, { at: Date.now(), data });
        setState({ data, error: undefined, loading: false });
      },
      (error: unknown) => {
        if (!abort.signal.aborted) setState({ data: undefined, error: error instanceof Error ? error : new Error(String(error)), loading: false });
      },
    );
    return () => abort.abort();
  }, [route]);
  return state;
}
