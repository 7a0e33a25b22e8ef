// build-native.mjs: compiles src/native/cairn-fs.c into dist/native/cairn-fs.node (Linux only), with
// the first C compiler found (cc, gcc, clang, or g++ told the source is C) and Node-API's headers
// from the package node-api-headers. The local source works without the module (it then reaches
// entries through /proc, at about twice the kernel's cost per entry), so a failed build warns and
// exits 0: the transport's tests say so on Linux (test/native-fs.test.ts).
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const source = join(here, '..', 'src', 'native', 'cairn-fs.c');
const outDir = join(here, '..', 'dist', 'native');
const out = join(outDir, 'cairn-fs.node');

function warn(reason) {
  process.stderr.write(`@cairn/transport: the native folder module was not built (${reason}); the local source reaches entries through /proc instead\n`);
}

rmSync(out, { force: true });
if (process.platform !== 'linux') {
  process.exit(0);
}
let include;
try {
  include = createRequire(import.meta.url)('node-api-headers').include_dir;
} catch (error) {
  warn(`node-api-headers: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
  process.exit(0);
}
mkdirSync(outDir, { recursive: true });
const flags = ['-O2', '-shared', '-fPIC', '-I', include, source, '-o', out];
const compilers = [['cc'], ['gcc'], ['clang'], ['g++', '-x', 'c']];
const failures = [];
for (const [compiler, ...first] of compilers) {
  const run = spawnSync(compiler, [...first, ...flags], { encoding: 'utf8' });
  if (run.error !== undefined) {
    failures.push(`${compiler}: ${run.error.code ?? run.error.message}`);
    continue;
  }
  if (run.status === 0) process.exit(0);
  failures.push(`${compiler} exited ${run.status}: ${run.stderr.trim().split('\n').slice(0, 3).join(' | ')}`);
  break; // a compiler that runs and fails would fail the same way under another name
}
rmSync(out, { force: true });
warn(failures.join('; '));
