#!/usr/bin/env node
/**
 * Bundles the cairn command for installing: dist/cairn.js (the `cairn` bin, executable, with its
 * shebang: the launcher, src/launch.ts), dist/cairn-main.cjs (the command, which the launcher runs
 * with its compiled code cached between runs), dist/compress-worker.js, dist/grep-worker.js and dist/decode-worker.js (the engine's
 * compression, grep and blob-decoding (restore, dump) workers) and dist/whole-file-worker.js (the
 * local restore target's writer of small files), which the bundle starts from its own folder, and
 * dist/pool-worker.cjs (copied: the module each pool thread starts, which imports its worker) and
 * dist/native/cairn-fs.node (copied when the transport's build made it: the local source's native
 * folder calls). The workspace packages (@cairn/*) are not on the npm registry, so they go
 * into the bundle; every third-party package stays external and is a dependency of this package,
 * installed from the registry. Run by the build, after tsc (it bundles tsc's output).
 *
 * Fails, naming the package, when a third-party dependency of a bundled workspace package is not
 * a dependency of apps/cli with the same range: the installed CLI would miss it.
 */
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const cliDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const root = resolve(cliDir, '..', '..');
const readJson = (file) => JSON.parse(readFileSync(file, 'utf8'));
const fail = (message) => {
  process.stderr.write(`bundle: ${message}\n`);
  process.exit(1);
};

/** The workspace packages by name: their folder and manifest. */
const workspace = new Map();
for (const name of readdirSync(join(root, 'packages'))) {
  const file = join(root, 'packages', name, 'package.json');
  if (existsSync(file)) workspace.set(readJson(file).name, { dir: join(root, 'packages', name), manifest: readJson(file) });
}
const cli = readJson(join(cliDir, 'package.json'));

/** The workspace packages the CLI's code reaches (its devDependencies, then their dependencies). */
const bundled = new Map();
const visit = (deps) => {
  for (const name of Object.keys(deps ?? {})) {
    if (!workspace.has(name) || bundled.has(name)) continue;
    bundled.set(name, workspace.get(name));
    visit(workspace.get(name).manifest.dependencies);
  }
};
visit(cli.dependencies);
visit(cli.devDependencies);

/** Third-party packages stay external; each must be the CLI's own dependency, with the same range. */
const external = new Set(Object.keys({ ...cli.dependencies, ...cli.optionalDependencies }));
for (const [name, { manifest }] of bundled) {
  for (const kind of ['dependencies', 'optionalDependencies']) {
    for (const [dep, range] of Object.entries(manifest[kind] ?? {})) {
      if (workspace.has(dep)) continue;
      if (cli[kind]?.[dep] !== range) fail(`${name} needs ${dep}@${range} (${kind}): add "${dep}": "${range}" to the ${kind} of apps/cli/package.json`);
      external.add(dep);
    }
  }
}
for (const name of Object.keys(cli.dependencies ?? {})) if (workspace.has(name)) fail(`${name} is a dependency of apps/cli: workspace packages are bundled, so it belongs in devDependencies`);

const main = join(cliDir, 'dist', 'main.js');
const launcher = join(cliDir, 'dist', 'launch.js');
for (const file of [main, launcher]) if (!existsSync(file)) fail(`${file} is missing: run tsc first (npx --yes pnpm@10 run build)`);
const repository = bundled.get('@cairn/repository');
const workers = {
  'compress-worker': join(repository.dir, 'dist', 'write', 'compress-worker.js'),
  'grep-worker': join(repository.dir, 'dist', 'inspect', 'grep-worker.js'),
  'decode-worker': join(repository.dir, 'dist', 'repo', 'decode-worker.js'),
  'whole-file-worker': join(bundled.get('@cairn/transport').dir, 'dist', 'whole-file-worker.js'),
};
for (const worker of Object.values(workers)) if (!existsSync(worker)) fail(`${worker} is missing: build the workspace packages first`);
copyFileSync(join(repository.dir, 'src', 'repo', 'pool-worker.cjs'), join(cliDir, 'dist', 'pool-worker.cjs'));
// The local source's native folder calls, where the transport's build could make them (Linux):
// the bundle looks for them in native/ beside itself, and goes through /proc without them.
const nativeFs = join(bundled.get('@cairn/transport').dir, 'dist', 'native', 'cairn-fs.node');
rmSync(join(cliDir, 'dist', 'native'), { recursive: true, force: true });
if (existsSync(nativeFs)) {
  mkdirSync(join(cliDir, 'dist', 'native'), { recursive: true });
  copyFileSync(nativeFs, join(cliDir, 'dist', 'native', 'cairn-fs.node'));
}

const common = { bundle: true, platform: 'node', target: 'node20', external: [...external], logLevel: 'warning', legalComments: 'none' };
// The command itself: a CommonJS script, so that the launcher can compile it with V8's code cache
// (apps/cli/src/code-cache.ts). Its import.meta.url is its own file's URL, as in an ES module.
await build({
  ...common,
  entryPoints: [main],
  outfile: join(cliDir, 'dist', 'cairn-main.cjs'),
  format: 'cjs',
  define: { 'import.meta.url': '__cairnImportMetaUrl' },
  banner: { js: 'var __cairnImportMetaUrl = require("node:url").pathToFileURL(__filename).href;' },
});
// The `cairn` bin: the launcher; and the workers the bundle starts from its own folder.
await build({
  ...common,
  entryPoints: { cairn: launcher, ...workers },
  outdir: join(cliDir, 'dist'),
  format: 'esm',
});
chmodSync(join(cliDir, 'dist', 'cairn.js'), 0o755);
chmodSync(main, 0o755);
