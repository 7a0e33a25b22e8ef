// Idle cost of one watcher: node --expose-gc measure.mjs parcel|chokidar <tree> <seconds> (run where both are installed).
const [which, root, idleSec] = [process.argv[2], process.argv[3], Number(process.argv[4] ?? 10)];
const t0 = performance.now();
let stop;
if (which === 'parcel') {
  const w = await import('@parcel/watcher');
  const sub = await w.subscribe(root, () => {});
  stop = () => sub.unsubscribe();
} else {
  const { watch } = await import('chokidar');
  const watcher = watch(root, { ignoreInitial: true });
  await new Promise((r) => watcher.on('ready', r));
  stop = () => watcher.close();
}
const ready = performance.now() - t0;
global.gc?.();
const c0 = process.cpuUsage(); const w0 = performance.now();
await new Promise((r) => setTimeout(r, idleSec * 1000));
const c = process.cpuUsage(c0); const wall = performance.now() - w0;
const rss = process.memoryUsage().rss;
console.log(JSON.stringify({ which, readyMs: Math.round(ready), idleCpuPct: +(100 * (c.user + c.system) / 1000 / wall).toFixed(3), rssMiB: +(rss / 2 ** 20).toFixed(1) }));
await stop();
process.exit(0);
