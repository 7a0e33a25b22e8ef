/**
 * The page of the web UI: the files `pnpm build` puts in dist/web (index.html, app.js, app.css…),
 * served from the folder beside the running code, nothing from elsewhere. When the folder is
 * missing, a plain 503 page names the build that makes it.
 */
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SAFE_HEADERS } from './http.js';

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml', '.png': 'image/png', '.ico': 'image/x-icon', '.woff2': 'font/woff2', '.map': 'application/json; charset=utf-8', '.txt': 'text/plain; charset=utf-8',
};

/** The page's own rules: its scripts, styles and images come from this server only. */
const PAGE_POLICY = "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/**
 * The folder of the page's files: `web/` beside the bundled cairn.js (dist/web), or, for tsc's
 * output (dist/ui/static-files.js), dist/web one folder up. CAIRN_UI_WEB_DIR overrides it.
 */
export function webDir(): string {
  const override = process.env['CAIRN_UI_WEB_DIR'];
  if (override !== undefined && override !== '') return resolve(override);
  const here = dirname(fileURLToPath(import.meta.url));
  const beside = join(here, 'web');
  return existsSync(beside) || !here.endsWith(`${sep}ui`) ? beside : join(here, '..', 'web');
}

/** Answers GET `path` from `dir`: the file, index.html for a path without an extension (the page routes itself), 404, or 503 when the page was not built. */
export async function serveStatic(dir: string, path: string, response: ServerResponse): Promise<void> {
  if (!existsSync(join(dir, 'index.html'))) {
    const body = `<!doctype html><meta charset="utf-8"><title>cairn ui: page not built</title>
<h1>The cairn ui page is not built</h1>
<p>${escapeHtml(join(dir, 'index.html'))} is missing. Build it with <code>npx --yes pnpm@10 run build</code> in the cairn checkout
(it writes apps/cli/dist/web). The JSON API under /api/ works without it.</p>\n`;
    response.writeHead(503, { ...SAFE_HEADERS, 'Content-Type': 'text/html; charset=utf-8', 'Content-Security-Policy': "default-src 'none'" });
    response.end(body);
    return;
  }
  let file = path === '/' || extname(path) === '' ? join(dir, 'index.html') : resolve(dir, `.${path}`);
  if (file !== dir && !file.startsWith(`${dir}${sep}`)) file = '';
  const info = file === '' ? undefined : await stat(file).catch(() => undefined);
  if (info === undefined || !info.isFile()) {
    response.writeHead(404, { ...SAFE_HEADERS, 'Content-Type': 'text/plain; charset=utf-8' });
    response.end(`not found: ${path}\n`);
    return;
  }
  const body = await readFile(file);
  response.writeHead(200, {
    ...SAFE_HEADERS,
    'Content-Type': TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
    'Content-Length': body.length,
    'Content-Security-Policy': PAGE_POLICY,
  });
  response.end(body);
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
}
