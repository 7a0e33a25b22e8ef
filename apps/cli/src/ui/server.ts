/**
 * The web UI's HTTP server (node:http): the guards every request passes (Host header, password,
 * token), then the page's files or one API route. Answers are JSON; errors are
 * {"error":{code,message}}. No CORS: no Access-Control header is ever sent.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { allowedHosts, basicAuthOk, cookieName, requestToken, sameSecret } from './auth.js';
import { ApiError, apiErrorOf, Query, SAFE_HEADERS, sendError } from './http.js';
import type { JobRegistry } from './jobs.js';
import type { RepoSession } from './repo-session.js';
import { createRouter } from './router.js';
import type { RouteContext } from './router.js';
import { browseRoutes } from './routes-browse.js';
import { historyRoutes } from './routes-history.js';
import { jobRoutes } from './routes-jobs.js';
import { serveStatic } from './static-files.js';

/** What the server serves and how it guards it. */
export interface UiServerOptions {
  readonly session: RepoSession;
  readonly jobs: JobRegistry;
  readonly token: string;
  /** The address it listens on and its port (known once listening). */
  readonly host: string;
  port(): number;
  /** True when it listens on loopback only: the Host header must then name it. */
  readonly loopback: boolean;
  /** The password of HTTP Basic (user "cairn"), asked of every request; undefined: none (loopback). */
  readonly password: string | undefined;
  readonly webDir: string;
  readonly plans: RouteContext['plans'];
  readonly restoreRoot: string | undefined;
  /** Called with an error a request met that is cairn's fault (500), for the server's log. */
  readonly onError?: (error: unknown, request: IncomingMessage) => void;
}

/** Every API route. */
export const API_ROUTES = [...browseRoutes, ...historyRoutes, ...jobRoutes];

/** The request handler of the web UI. */
export function createUiHandler(options: UiServerOptions): (request: IncomingMessage, response: ServerResponse) => void {
  const route = createRouter(API_ROUTES);
  return (request, response) => {
    handle(options, route, request, response).catch((error: unknown) => {
      if (apiErrorOf(error).status === 500) options.onError?.(error, request);
      sendError(response, error);
    });
  };
}

async function handle(options: UiServerOptions, route: ReturnType<typeof createRouter>, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const port = options.port();
  if (options.loopback && !allowedHosts(options.host, port).has((request.headers.host ?? '').toLowerCase())) {
    throw new ApiError(403, 'ERR_HOST', `the Host header ${JSON.stringify(request.headers.host ?? '')} does not name this server (open http://${options.host.includes(':') ? `[${options.host}]` : options.host}:${port}/)`);
  }
  if (options.password !== undefined && !basicAuthOk(request, options.password)) {
    response.writeHead(401, { ...SAFE_HEADERS, 'WWW-Authenticate': 'Basic realm="cairn ui", charset="UTF-8"', 'Content-Type': 'application/json; charset=utf-8' });
    response.end(JSON.stringify({ error: { code: 'ERR_AUTH', message: 'this cairn ui asks for its password (user "cairn")' } }));
    return;
  }
  const url = new URL(request.url ?? '/', 'http://cairn.invalid');
  const method = request.method ?? 'GET';
  if (!url.pathname.startsWith('/api/')) {
    if (method !== 'GET' && method !== 'HEAD') throw new ApiError(405, 'ERR_USAGE', `${method} is not allowed on ${url.pathname}`);
    const token = url.searchParams.get('token');
    if (token !== null) {
      // The printed URL: its token becomes a cookie, and the address bar loses it.
      if (!sameSecret(token, options.token)) throw new ApiError(401, 'ERR_AUTH', 'the token in the URL is not this server\'s: open the URL `cairn ui` printed');
      response.writeHead(303, { ...SAFE_HEADERS, 'Set-Cookie': `${cookieName(port)}=${options.token}; HttpOnly; SameSite=Strict; Path=/`, Location: url.pathname });
      response.end();
      return;
    }
    let path: string;
    try {
      path = decodeURIComponent(url.pathname);
    } catch {
      throw new ApiError(400, 'ERR_PATH', `${url.pathname}: a bad %-escape in the path`);
    }
    if (path.includes('\0')) throw new ApiError(400, 'ERR_PATH', 'a path holds no NUL character');
    await serveStatic(options.webDir, path, response);
    return;
  }
  const given = requestToken(request, port);
  if (given === undefined || !sameSecret(given, options.token)) {
    throw new ApiError(401, 'ERR_AUTH', given === undefined
      ? 'no token: open the URL `cairn ui` printed (it sets a cookie), or send Authorization: Bearer <token>'
      : 'the token is not this server\'s: open the URL `cairn ui` printed');
  }
  // A request another site's page makes carries its Origin: only this server's own page may change things.
  const origin = request.headers.origin;
  if (method !== 'GET' && origin !== undefined && origin !== `http://${request.headers.host ?? ''}`) {
    throw new ApiError(403, 'ERR_HOST', `requests from ${origin} are refused`);
  }
  const { route: found, params } = route(method, url.pathname);
  await found.handle({
    request, response, query: new Query(url.search), params,
    session: options.session, jobs: options.jobs, plans: options.plans, restoreRoot: options.restoreRoot,
  });
}
