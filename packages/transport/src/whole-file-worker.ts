/**
 * The worker side of a local target's whole-file writes (see whole-file-thread.ts): each message
 * is a batch of files, written one after the other with writeWholeFileSync, so a restore's small
 * files are opened, written, given their metadata and closed beside the thread that decodes them.
 */
import { parentPort } from 'node:worker_threads';
import { endsWriting, wholeFileError, writeWholeFileSync } from './whole-files.js';
import { THREAD_FIELDS } from './whole-file-thread.js';
import type { ThreadBatch, ThreadError, ThreadReply } from './whole-file-thread.js';

if (parentPort === null) throw new Error('whole-file-worker runs only as a worker thread');
const port = parentPort;

port.on('message', (batch: ThreadBatch) => {
  const results: (ThreadError | undefined)[] = [];
  const { buffers, numbers, mtimes } = batch;
  const paths = batch.paths.split('\0');
  for (let i = 0; i < mtimes.length; i += 1) {
    const final = paths[i]!;
    const n = i * THREAD_FIELDS;
    const mode = numbers[n + 3]!;
    const metadata = mode < 0 ? undefined : { mode, uid: numbers[n + 4]!, gid: numbers[n + 5]!, mtimeNs: mtimes[i]! };
    try {
      writeWholeFileSync(final, { data: new Uint8Array(buffers[numbers[n]!]!, numbers[n + 1]!, numbers[n + 2]!), metadata, fresh: numbers[n + 6] === 1 });
      results.push(undefined);
    } catch (error) {
      results.push(threadError(error));
      // A full target takes no more writes: the files after this one get no result.
      if (endsWriting(wholeFileError(error, final))) break;
    }
  }
  const reply: ThreadReply = { id: batch.id, results };
  port.postMessage(reply);
});

/** What the main thread needs to make node's error again (its code, syscall and message). */
function threadError(error: unknown): ThreadError {
  const fields = (error ?? {}) as { code?: unknown; errno?: unknown; syscall?: unknown; path?: unknown };
  return {
    message: error instanceof Error ? error.message : String(error),
    ...(typeof fields.code === 'string' ? { code: fields.code } : {}),
    ...(typeof fields.errno === 'number' ? { errno: fields.errno } : {}),
    ...(typeof fields.syscall === 'string' ? { syscall: fields.syscall } : {}),
    ...(typeof fields.path === 'string' ? { path: fields.path } : {}),
  };
}
