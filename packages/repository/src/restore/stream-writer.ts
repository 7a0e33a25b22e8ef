import { isCairnError } from '@cairn/core';
import type { CairnError, Id } from '@cairn/core';
import type { PlannedFiles } from './planned-files.js';
import type { RestoreContext } from './restore-context.js';

/**
 * Writes planned files one at a time through Target.writeFile, streaming each file's blobs
 * in order (for targets without createFile). A file whose blob is damaged, or that the target
 * refuses, is not written (its problem is named, the restore goes on); a full target stops the
 * writes (the files left are named at once); any other failure ends the restore.
 */
export async function writeByStreaming(ctx: RestoreContext, files: PlannedFiles): Promise<void> {
  for (let i = 0; i < files.count; i += 1) {
    if (ctx.stopped()) {
      ctx.unwrittenAfterFull(files.path(i), files.count - i);
      return;
    }
    const file = files.file(i);
    const damage: { error?: CairnError } = {};
    try {
      await ctx.target.writeFile(file.parts, blobStream(ctx, file.path, files.contentIds(i), damage));
    } catch (error) {
      if (damage.error === undefined) ctx.fileRefused(file, error);
      else ctx.fileFailed(file, damage.error);
      continue;
    }
    await ctx.fileWritten(file);
  }
}

/** The plaintext of `content`, blob by blob; records in `damage` a failure that is the repository's damage. */
async function* blobStream(ctx: RestoreContext, path: string, content: readonly Id[], damage: { error?: CairnError }): AsyncGenerator<Uint8Array> {
  for (const id of content) {
    ctx.checkAbort();
    try {
      const data = await ctx.repo.loadBlob(id, 'data');
      yield data;
      ctx.wrote(path, data.byteLength);
    } catch (error) {
      if (isCairnError(error) && error.code !== 'ERR_TRANSIENT') damage.error = error;
      throw error;
    }
  }
}
