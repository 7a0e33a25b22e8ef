/** Loads an API route into a component: its data, its error, and whether it still loads. */
import { useEffect, useState } from 'preact/hooks';
import { get } from './api.js';

/** The state of one API call. */
export interface Loaded<T> {
  readonly data: T | undefined;
  readonly error: Error | undefined;
  readonly loading: boolean;
}

/** GETs `route` (null: nothing to load) and reloads when it changes. */
export function useApi<T>(route: string | null): Loaded<T> {
  const [state, setState] = useState<Loaded<T>>({ data: undefined, error: undefined, loading: route !== null });
  useEffect(() => {
    if (route === null) {
      setState({ data: undefined, error: undefined, loading: false });
      return undefined;
    }
    const abort = new AbortController();
    setState((s) => ({ data: s.data, error: undefined, loading: true }));
    get<T>(route, abort.signal).then(
      (data) => setState({ data, error: undefined, loading: false }),
      (error: unknown) => {
        if (!abort.signal.aborted) setState({ data: undefined, error: error instanceof Error ? error : new Error(String(error)), loading: false });
      },
    );
    return () => abort.abort();
  }, [route]);
  return state;
}
