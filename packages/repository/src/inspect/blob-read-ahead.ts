import { CairnError, idEquals, toHex } from '@cairn/core';
import type { Id } from '@cairn/core';
import type { BlobLocation } from '@cairn/index';
import { unpackBlob } from '../repo/blob-check.js';
import type { Repository } from '../repo/repository.js';

/** Stored bytes read ahead and not yet used, at most (a single larger read is still made, alone). */
const BUDGET = 32 * 1024 * 1024;
/** The longest read: neighbouring blobs of one pack are read together up to this length. */
const MAX_RUN = 8 * 1024 * 1024;
/** Blobs of one pack this far apart or closer are read together (the bytes between are read and dropped). */
const MAX_GAP = 256 * 1024;
/** Reads in flight at once. */
const MAX_READS = 4;

interface Request {
  readonly id: Id;
  readonly location: BlobLocation;
  readonly where: string;
  stored?: Promise<Uint8Array>;
  run?: Run;
}

interface Run {
  readonly length: number;
  remaining: number;
}

/**
 * Reads the data blobs of many files in the order they will be used, ahead of use: blobs that
 * lie near each other in one pack (a backup writes a folder's files one after another) are read
 * together, a few reads at a time, up to a budget of bytes not yet used. Each blob is checked
 * against its id as it is used. What a dump of many small files would otherwise spend: one
 * read, and its wait, per file.
 */
export class BlobReadAhead {
  private readonly pending: Request[] = [];
  private inFlight = 0;
  private reads = 0;

  constructor(private readonly repo: Repository) {}

  /** Queues a file's blobs (call in the order the files will be read); returns its bytes, blob by blob, for when its turn comes. */
  queue(content: readonly Id[], where: string): () => AsyncGenerator<Uint8Array> {
    const requests = content.map((id) => {
      const location = this.repo.index.lookup(id);
      if (location === undefined) {
        throw new CairnError('ERR_NOT_FOUND', `data blob ${toHex(id)} of ${where} is not in the index`, { hint: 'run `cairn check` to see what is damaged' });
      }
      const request: Request = { id, location, where };
      this.pending.push(request);
      return request;
    });
    this.issue();
    const self = this;
    return async function* () {
      for (const request of requests) {
        self.issue();
        if (request.stored === undefined) throw new CairnError('ERR_IO', `${where}: a blob was asked for out of turn`);
        const stored = await request.stored;
        const { location } = request;
        try {
          // A delta decodes against its base's plaintext, read (and checked) through loadBlob's chain;
          // a group member is cut from its group by loadBlob, which decodes the group once for its neighbours.
          if (location.codec === 'group') {
            yield await self.repo.loadBlob(request.id, 'data');
            continue;
          }
          const base = location.codec === 'delta' ? await self.repo.loadBlob(location.base!, 'data') : undefined;
          yield unpackBlob(stored, { id: request.id, codec: location.codec, rawLength: location.rawLength }, self.repo, `data blob ${toHex(request.id)} of ${where}`, undefined, base);
        } finally {
          self.release(request);
        }
      }
    };
  }

  /** Starts reads from the front of the queue while the budget allows (always one when nothing is in flight). */
  private issue(): void {
    while (this.pending.length > 0 && this.reads < MAX_READS && (this.inFlight < BUDGET || this.reads === 0)) {
      const first = this.pending[0]!;
      const start = first.location.offset;
      let end = start + first.location.length;
      let count = 1;
      for (; count < this.pending.length; count += 1) {
        const next = this.pending[count]!.location;
        if (!idEquals(next.packId, first.location.packId) || next.offset < end || next.offset - end > MAX_GAP || next.offset + next.length - start > MAX_RUN) break;
        end = next.offset + next.length;
      }
      const requests = this.pending.splice(0, count);
      const run: Run = { length: end - start, remaining: requests.length };
      this.inFlight += run.length;
      this.reads += 1;
      const pack = toHex(first.location.packId);
      const bytes = this.repo.backend.read('data', pack, { offset: start, length: end - start }).then(
        (read) => {
          this.reads -= 1;
          if (read.length !== end - start) throw new CairnError('ERR_INTEGRITY', `pack ${pack}: ${read.length} bytes where the index places ${end - start} at ${start}`);
          return read;
        },
        (error: unknown) => {
          this.reads -= 1;
          throw isCairn(error) ? error : new CairnError('ERR_IO', `pack ${pack}: ${String(error)}`, { cause: error });
        },
      );
      for (const request of requests) {
        request.run = run;
        const offset = request.location.offset - start;
        request.stored = bytes.then((read) => read.subarray(offset, offset + request.location.length));
        request.stored.catch(() => undefined); // told when the blob is used
      }
    }
  }

  private release(request: Request): void {
    const run = request.run;
    if (run === undefined) return;
    request.run = undefined;
    run.remaining -= 1;
    if (run.remaining === 0) this.inFlight -= run.length;
  }
}

function isCairn(error: unknown): error is CairnError {
  return error instanceof CairnError;
}
