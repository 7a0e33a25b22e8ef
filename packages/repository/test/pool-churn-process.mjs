// Starts and destroys worker pools of every kind, as built (dist/: the modules and the pool entry
// a user runs), at moments spread over their threads' start-up, in a process of its own. A thread
// terminated while it loads its module must not take the process down: prints "survived" and
// exits 0 when none did. argv[2]: rounds per kind of pool.
import { startWorkerPool } from '../dist/repo/worker-pool.js';

const rounds = Number(process.argv[2] ?? '48');
const workers = ['repo/decode-worker.js', 'write/compress-worker.js', 'inspect/grep-worker.js'].map((file) => ({ filename: new URL(`../dist/${file}`, import.meta.url).href, execArgv: [] }));
for (let round = 0; round < rounds; round += 1) {
  for (const worker of workers) {
    const pool = startWorkerPool('churn', worker, 2, () => {});
    // Tasks the workers refuse (they are not theirs): only the loading matters here.
    for (let task = 0; task < 2; task += 1) pool.run({}).catch(() => {});
    // A thread loads its module 30-60 ms after the pool starts here, later on a busy machine.
    await new Promise((resolve) => setTimeout(resolve, 10 + Math.random() * 70));
    await pool.destroy();
  }
}
process.stdout.write('survived\n');
