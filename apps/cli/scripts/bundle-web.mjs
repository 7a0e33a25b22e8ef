#!/usr/bin/env node
/**
 * Builds the `cairn ui` page into dist/web/: app.js (web/src/main.tsx with Preact and the
 * highlighter bundled in, minified), app.css and index.html, copied as they are. The CLI, bundled
 * or not, serves them from the dist/web folder beside it; the page loads nothing from elsewhere.
 * Run by the build after tsc has type-checked web/ (tsc -p web).
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const cliDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const web = join(cliDir, 'web');
const out = join(cliDir, 'dist', 'web');
mkdirSync(out, { recursive: true });

await build({
  entryPoints: { app: join(web, 'src', 'main.tsx') },
  outdir: out,
  bundle: true,
  platform: 'browser',
  format: 'esm',
  target: ['chrome110', 'firefox115', 'safari16'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  minify: true,
  legalComments: 'none',
  logLevel: 'warning',
});
for (const file of ['index.html', 'app.css']) copyFileSync(join(web, file), join(out, file));
