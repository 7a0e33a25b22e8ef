/** The web UI's API routes: a table of method, path pattern and handler; one handler per route. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError } from './http.js';
import type { Query } from './http.js';
import type { JobRegistry } from './jobs.js';
import type { RepoSession } from './repo-session.js';

/** What a handler gets: the request, its answer, the query, the path's parameters and the server's state. */
export interface RouteContext {
  readonly request: IncomingMessage;
  readonly response: ServerResponse;
  readonly query: Query;
  readonly params: Readonly<Record<string, string>>;
  readonly session: RepoSession;
  readonly jobs: JobRegistry;
  /** Where the plans and the daemon's state are (--plans, --state-dir), for /api/plans. */
  readonly plans: { readonly plans?: string | undefined; readonly stateDir?: string | undefined };
  /** The folder every restore target must lie in (--restore-root); undefined: any absolute folder. */
  readonly restoreRoot: string | undefined;
}

/** One route: GET /api/snapshots/:id/ls and its handler. */
export interface Route {
  readonly method: 'GET' | 'POST' | 'DELETE';
  readonly path: string;
  readonly handle: (context: RouteContext) => Promise<void>;
}

interface Compiled {
  readonly route: Route;
  readonly pattern: RegExp;
  readonly names: readonly string[];
}

/** A router over `routes`: finds the route of a method and path (404 for no path, 405 for another method). */
export function createRouter(routes: readonly Route[]): (method: string, path: string) => { route: Route; params: Record<string, string> } {
  const compiled: Compiled[] = routes.map((route) => {
    const names: string[] = [];
    const source = route.path.split('/').map((part) => {
      if (!part.startsWith(':')) return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      names.push(part.slice(1));
      return '([^/]+)';
    }).join('/');
    return { route, pattern: new RegExp(`^${source}$`), names };
  });
  return (method, path) => {
    let pathMatched = false;
    for (const { route, pattern, names } of compiled) {
      const match = pattern.exec(path);
      if (match === null) continue;
      pathMatched = true;
      if (route.method !== method) continue;
      const params: Record<string, string> = {};
      names.forEach((name, i) => {
        try {
          params[name] = decodeURIComponent(match[i + 1]!);
        } catch {
          throw new ApiError(400, 'ERR_USAGE', `${path}: a bad %-escape in the path`);
        }
      });
      return { route, params };
    }
    if (pathMatched) throw new ApiError(405, 'ERR_USAGE', `${method} is not allowed on ${path}`);
    throw new ApiError(404, 'ERR_NOT_FOUND', `no API route ${path}`);
  };
}
