// What the default policy costs a walk, the way a no-op backup meets it: each folder listed and
// entered through the project selector, each entry decided by the folder's byName rule (or
// decide()), first pass in a fresh process (code not yet optimized, as in a short backup), with
// the default policy and without one (the floor: the same walk and selector, every entry stored).
// Usage: npx tsc -b && node bench/policy-walk.mjs FOLDER [processes, default 7]
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createProjectSelector } from '../dist/selector/index.js';

const [folder, second] = process.argv.slice(2);
if (folder === undefined) {
  process.stderr.write('usage: node bench/policy-walk.mjs FOLDER [processes]\n');
  process.exit(2);
}
const root = resolve(folder);

if (second === 'default' || second === 'none') {
  // One pass, in this process: prints its milliseconds, entries and skipped entries.
  const selector = createProjectSelector({ roots: [root], vcs: 'off', policy: () => (second === 'none' ? null : {}) });
  let entries = 0;
  let skipped = 0;
  const walk = async (dir) => {
    const listed = readdirSync(dir, { withFileTypes: true });
    const entered = selector.enterDir(dir, listed.map((entry) => entry.name));
    if (entered !== undefined) await entered;
    const byName = selector.byName(dir);
    for (const entry of listed) {
      const type = entry.isDirectory() ? 'dir' : entry.isSymbolicLink() ? 'symlink' : 'file';
      const path = `${dir}/${entry.name}`;
      const asked = byName !== undefined ? byName(entry.name, type) : selector.decide(path, type);
      const decision = asked instanceof Promise ? await asked : asked;
      entries += 1;
      if (decision.action === 'skip') skipped += 1;
      else if (type === 'dir') await walk(path);
    }
  };
  const started = performance.now();
  await walk(root);
  process.stdout.write(`${(performance.now() - started).toFixed(1)} ${entries} ${skipped}\n`);
} else {
  const processes = Number(second ?? 7);
  const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  const runs = { none: [], default: [] };
  let counts = '';
  for (let i = 0; i < processes; i += 1) {
    for (const mode of ['none', 'default']) {
      const [ms, entries, skipped] = execFileSync(process.execPath, [fileURLToPath(import.meta.url), root, mode], { encoding: 'utf8' }).trim().split(' ');
      runs[mode].push(Number(ms));
      if (mode === 'default') counts = `${entries} entries, ${skipped} skipped by the default policy`;
    }
  }
  const none = median(runs.none);
  const policy = median(runs.default);
  process.stdout.write(`${root}: ${counts}; first pass, median of ${processes} processes each\n`);
  process.stdout.write(`no policy ${none.toFixed(0)} ms, default policy ${policy.toFixed(0)} ms, the policy ${(policy - none).toFixed(0)} ms\n`);
}
