/**
 * One engine operation in a process of its own, run from source, for tests that kill it at a
 * random moment (the model test's kill -9). `startEngine` in lifecycle-helpers.ts starts it; its
 * one argument is an EngineOp as JSON. It prints the snapshot id of a backup and exits 0, or
 * prints the error and exits 1.
 */
import { backup, openRepository } from '@cairn/repository';
import { prune } from '@cairn/repository/maintenance';
import { createLocalBackend, createLocalSource } from '@cairn/transport';
import type { EngineOp } from './lifecycle-helpers.js';

const op = JSON.parse(process.argv[2] ?? '{}') as EngineOp;
try {
  const password = op.password;
  const repo = await openRepository(createLocalBackend(op.repo), password === undefined ? {} : { password: async () => password });
  if (op.op === 'backup') {
    const result = await backup(repo, {
      source: createLocalSource(),
      paths: op.paths,
      tags: op.tags,
      time: new Date(op.time),
      ...(op.hostname === undefined ? {} : { hostname: op.hostname }),
    });
    process.stdout.write(`${result.id}\n`);
  } else {
    await prune(repo, { graceMs: 0, maxUnused: 0 });
  }
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
}
