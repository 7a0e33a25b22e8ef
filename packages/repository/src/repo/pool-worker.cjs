'use strict';
/*
 * The module every worker-pool thread starts (see startWorkerPool in worker-pool.ts): it loads the
 * pool's own worker module (an ES module, named in workerData.module) with import() and hands each
 * task to that module's default export.
 *
 * Why not give piscina the ES module itself: piscina loads a task module with require() first, and
 * on Node 20 a thread terminated while require() is loading an ES module aborts the whole process
 * ("Assertion failed: facade->InstantiateModule(...)", or "IsGraphAsync must be used on an
 * instantiated module" when the module has a top-level await). Pools are destroyed when their work
 * is done, and the threads with no task may still be loading then: `cairn ui` died that way on a
 * short grep. This file is CommonJS, so require() loads it without the ES module machinery, and a
 * thread terminated during the import() below just stops.
 */
const { workerData } = require('node:worker_threads');

/** The worker module's default export, once loaded. */
let handler;
/** The import, started with the thread (as piscina would preload the module); a failure is the first task's error. */
const loading = import(workerData.module).then((loaded) => {
  if (typeof loaded.default !== 'function') throw new TypeError(`${workerData.module} has no default export to run tasks with`);
  handler = loaded.default;
  return handler;
});
loading.catch(() => {});

module.exports = function runTask(task) {
  return handler === undefined ? loading.then((run) => run(task)) : handler(task);
};
