// How long `cairn ui` takes to answer GET /api/snapshots with many snapshots:
//   node benchmarks/ui/snapshots.mjs <work folder> [snapshots=1000]
// Makes a repository of N tiny backups in-process (the engine from packages/*/dist: run the build
// first), starts the bundled `cairn ui` on it, and times the first answer (every snapshot file
// read) and five more (listing the folder only), beside `cairn snapshots --json`, and a folder
// listing of the latest snapshot (ls). REUSE=1 measures the repository a previous run left.
import { spawn, execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const { backup, initRepository } = await import(join(root, 'packages/repository/dist/index.js'));
const { createLocalBackend, createLocalSource } = await import(join(root, 'packages/transport/dist/index.js'));
const cli = join(root, 'apps/cli/dist/cairn.js');
const [work, count = '1000'] = process.argv.slice(2);
if (work === undefined) throw new Error('usage: snapshots.mjs <work folder> [snapshots]');
const made = performance.now();
if (process.env.REUSE !== '1') {
  rmSync(work, { recursive: true, force: true });
  const src = join(work, 'src');
  mkdirSync(src, { recursive: true });
  const repo = await initRepository(createLocalBackend(join(work, 'repo')));
  for (let i = 0; i < Number(count); i += 1) {
    writeFileSync(join(src, 'counter.txt'), `${i}\n`);
    await backup(repo, { source: createLocalSource(), paths: [src], tags: i % 10 === 0 ? ['tenth'] : [] });
  }
}
const makeSeconds = (performance.now() - made) / 1000;

const ui = spawn(process.execPath, [cli, 'ui', '--repo', join(work, 'repo')], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, CAIRN_PASSWORD: '' } });
const url = await new Promise((resolve) => ui.stdout.on('data', (d) => { const m = /cairn ui: (\S+)/.exec(d.toString()); if (m) resolve(new URL(m[1])); }));
const time = async (path = '/api/snapshots') => {
  const t0 = performance.now();
  const response = await fetch(new URL(path, url.origin), { headers: { authorization: `Bearer ${url.searchParams.get('token')}` } });
  const body = await response.text();
  return { ms: Math.round(performance.now() - t0), bytes: body.length, snapshots: JSON.parse(body).snapshots?.length };
};
const first = await time();
const warm = [];
for (let i = 0; i < 5; i += 1) warm.push(await time());
const ls = [];
for (let i = 0; i < 5; i += 1) ls.push((await time('/api/snapshots/latest/ls?path=/src')).ms);
ui.kill('SIGTERM');
const t0 = performance.now();
execFileSync(process.execPath, [cli, 'snapshots', '--json', '--repo', join(work, 'repo')], { env: { ...process.env, CAIRN_PASSWORD: '' }, maxBuffer: 64 << 20 });
const cliMs = Math.round(performance.now() - t0);
const sorted = warm.map((w) => w.ms).sort((a, b) => a - b);
console.log(JSON.stringify({ snapshots: first.snapshots, makeSeconds: +makeSeconds.toFixed(1), firstMs: first.ms, warmMedianMs: sorted[2], warmMs: sorted, bytes: first.bytes, lsMedianMs: ls.sort((a, b) => a - b)[2], cliSnapshotsJsonMs: cliMs }));
