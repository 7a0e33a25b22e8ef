import { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { CairnError, holdsRawBytes, lazyModule, wellFormedText } from '@cairn/core';
import type { ArchiveWriter } from './archive-entry.js';
import { dateOfNs } from './archive-entry.js';

/** yazl, loaded when a zip is first written. */
const yazl = lazyModule<typeof import('yazl')>(import.meta.url, 'yazl');

/** Files queued in the zip writer at most before add() waits for the oldest to be written (bounded memory). */
const QUEUED_FILES = 8;

/**
 * A zip writer (yazl, zip64 where needed): folders, files (deflated) and symlinks (Info-ZIP's
 * convention: the target as the content, the type in the mode), with their modes and mtimes
 * (whole seconds, Info-ZIP's "UT" field). Zip has no hardlinks: a second name of a file holds a
 * copy. A name that is not UTF-8 is ERR_UNSUPPORTED (zip names are UTF-8 here): tar keeps them.
 */
export function createZipWriter(): ArchiveWriter {
  const zip = new (yazl().ZipFile)();
  const queued: Readable[] = [];
  return {
    output: zip.outputStream as AsyncIterable<Uint8Array>,
    async add(item) {
      const node = item.node;
      if (holdsRawBytes(item.name) || (node.type === 'symlink' && holdsRawBytes(node.linkTarget ?? ''))) {
        throw new CairnError('ERR_UNSUPPORTED', `${wellFormedText(item.name)}: its name or link target is not UTF-8, which a zip archive cannot keep`, { hint: 'dump it with --archive tar, which keeps the exact bytes' });
      }
      const mtime = dateOfNs(node.mtimeNs);
      const mode = node.mode & 0o7777;
      switch (node.type) {
        case 'dir':
          zip.addEmptyDirectory(item.name, { mtime, mode: 0o40000 | mode });
          return;
        case 'symlink':
          zip.addBuffer(Buffer.from(node.linkTarget ?? ''), item.name, { mtime, mode: 0o120000 | mode, compress: false });
          return;
        case 'file': {
          const content = item.content;
          if (content === undefined) return;
          const stream = Readable.from(content(), { objectMode: false });
          zip.addReadStream(stream, item.name, { mtime, mode: 0o100000 | mode, size: node.size });
          queued.push(stream);
          if (queued.length > QUEUED_FILES) await finished(queued.shift()!);
          return;
        }
        default:
          // Zip holds no fifo, socket or device.
          return;
      }
    },
    async finish() {
      zip.end();
    },
    destroy(error) {
      (zip.outputStream as Readable).destroy(error);
      for (const stream of queued) stream.destroy();
    },
  };
}
