/**
 * The thread that writes a local target's whole files (see whole-file-writer.ts): each batch
 * arrives with its files' bytes in one transferred buffer and is written file after file with
 * synchronous calls; the answer names, per file that failed, node's error.
 */
import { parentPort } from 'node:worker_threads';
import { endsWriting, wholeFileError, writeWholeFileSync } from './whole-files.js';
import type { WholeFileBatch, WholeFileFailure } from './whole-file-writer.js';

parentPort!.on('message', (batch: WholeFileBatch) => {
  const failures: WholeFileFailure[] = [];
  let done = 0;
  for (const file of batch.files) {
    try {
      writeWholeFileSync(file.final, { data: new Uint8Array(batch.buffer, file.start, file.length), metadata: file.metadata, fresh: file.fresh });
    } catch (error) {
      const { code, errno, syscall, message } = error as NodeJS.ErrnoException;
      failures.push({ index: done, code, errno, syscall, message: message ?? String(error) });
      done += 1;
      if (endsWriting(wholeFileError(error, file.final))) break;
      continue;
    }
    done += 1;
  }
  parentPort!.postMessage({ id: batch.id, done, failures });
});
