/**
 * One process that protects files and holds the change open, for the two-process protect test:
 * argv[2] is JSON { repo, paths, reason, keep }. It prints `protected <snapshot id>`, then waits
 * for a line on stdin: `rollback` or `commit`, does it, prints `done`, and exits (1 with the error).
 */
import { createInterface } from 'node:readline';
import { createProtector, openRepository } from '@cairn/repository';
import { createLocalBackend, createLocalSource, createLocalTarget } from '@cairn/transport';

const args = JSON.parse(process.argv[2] ?? '{}') as { repo: string; paths: string[]; reason: string; keep: number };
try {
  const protector = createProtector(await openRepository(createLocalBackend(args.repo)), { source: createLocalSource(), target: createLocalTarget, tool: 'protect-process', keep: args.keep });
  const handle = await protector.protect(args.paths, { reason: args.reason });
  process.stdout.write(`protected ${handle.snapshotId ?? ''} forgot ${handle.forgotten.join(',')}\n`);
  const lines = createInterface({ input: process.stdin });
  for await (const line of lines) {
    if (line === 'rollback') await handle.rollback();
    else await handle.commit();
    break;
  }
  lines.close();
  process.stdout.write('done\n');
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
}
