import { CairnError, codecCode, toHex } from '@cairn/core';
import type { Id } from '@cairn/core';
import type { BlobLocation } from '@cairn/index';
import type { Piscina } from 'piscina';
import { unpackBlob } from '../repo/blob-check.js';
import { contentIds } from '../repo/content-ids.js';
import { DecodeArena } from '../repo/decode-arena.js';
import type { ArenaRegion } from '../repo/decode-arena.js';
import { decodeStep, decodeTask, decodeWorker } from '../repo/decode-task.js';
import type { DecodeResult, DecodeTask } from '../repo/decode-task.js';
import { packFileName } from '../repo/names.js';
import type { Repository } from '../repo/repository.js';
import { createWorkInFlight, defaultThreads, startWorkerPool } from '../repo/worker-pool.js';
import type { WorkInFlight, WorkerModule } from '../repo/worker-pool.js';

/** Stored and decoded bytes read ahead and not yet used, at most (a single larger read is still made, alone). */
const BUDGET = 24 * 1024 * 1024;
/** The longest read: neighbouring blobs of one pack are read together up to this length. */
const MAX_RUN = 8 * 1024 * 1024;
/** Blobs of one pack this far apart or closer are read together (the bytes between are read and dropped). */
const MAX_GAP = 256 * 1024;
/** Stored bytes queued before a read of blobs that could still be joined by more is started. */
const QUEUED_BEFORE_READ = 4 * 1024 * 1024;
/** Reads in flight at once. */
const MAX_READS = 4;
/** Stored bytes decoded in the main thread before the decode threads start (a small dump starts none). */
const THREADS_FROM = 8 * 1024 * 1024;

const EMPTY = new Uint8Array(0);
const NOTHING: Promise<(Uint8Array | CairnError)[]> = Promise.resolve([]);

interface Request {
  readonly id: Id;
  readonly location: BlobLocation;
  readonly where: string;
  /** Its read, once started; its place in the read's results. */
  run?: Run;
  index: number;
}

/** Blobs of one pack near each other, to be read in one read. */
interface PendingRun {
  readonly packId: Id;
  start: number;
  end: number;
  readonly requests: Request[];
}

const DONE: PendingRun = { packId: new Uint8Array(0), start: 0, end: 0, requests: [] };

/** A read being made: its blobs' plaintexts (a delta's: its stored bytes, decoded when used), or the error of each. */
interface Run {
  /** Bytes the run holds until its last blob is used: stored and decoded. */
  readonly bytes: number;
  remaining: number;
  plains: Promise<(Uint8Array | CairnError)[]>;
  /** Where its plaintexts lie in the arena, freed once its last blob is used. */
  region?: ArenaRegion;
}

/** Options of BlobReadAhead. */
export interface BlobReadAheadOptions {
  /** Decode threads; default: one per CPU but one, at least one, at most 3 (the main thread writes the archive). 0: all in the main thread. */
  readonly threads?: number;
  /** The worker's module; default: repo/decode-worker. */
  readonly worker?: WorkerModule;
  /**
   * Decode into one shared buffer of this many bytes, reused as blobs are used (see
   * DecodeArena): a blob's bytes are then valid only until the next blob of its file is asked
   * for, or the next file's. 0 or absent: each read's plaintexts in a buffer of their own.
   */
  readonly arenaBytes?: number;
}

/**
 * Reads the data blobs of many files in the order they will be used, ahead of use: blobs that
 * lie near each other in one pack (a backup writes a folder's files one after another) are read
 * together, a few reads at a time, up to a budget of bytes not yet used. Each read's blobs are
 * decompressed and checked against their ids in the decode worker threads (the restore's,
 * repo/decode-worker), the main thread meanwhile writing the archive; the first reads, and
 * delta blobs (decoded against their base's plaintext), in the main thread. What a dump of
 * many small files would otherwise spend: one read, and its wait, per file, and the decoding
 * of every blob on the thread that writes.
 */
export class BlobReadAhead {
  /** Runs queued and not read yet, in the order of their first blob. */
  private readonly queued: PendingRun[] = [];
  private queuedHead = 0;
  /** The run of each pack that the next blob of that pack may still join (by the pack's id object, which the index shares). */
  private readonly open = new Map<Id, PendingRun>();
  private inFlight = 0;
  private reads = 0;
  private storedRead = 0;
  /** Stored bytes of the runs queued and not read yet. */
  private queuedBytes = 0;
  private pool: Piscina | null = null;
  private readonly work: WorkInFlight = createWorkInFlight();
  private readonly threads: number;
  private readonly macKey: Uint8Array | undefined;
  private readonly arena: DecodeArena | undefined;

  constructor(private readonly repo: Repository, private readonly options: BlobReadAheadOptions = {}) {
    this.threads = options.threads ?? Math.max(1, Math.min(3, defaultThreads() - 1));
    this.macKey = contentIds(repo.backend).macKey;
    this.arena = (options.arenaBytes ?? 0) > 0 ? new DecodeArena(options.arenaBytes!) : undefined;
  }

  /** Queues a file's blobs (call in the order the files will be read); returns its bytes, blob by blob, for when its turn comes. */
  queue(content: readonly Id[], where: string): () => AsyncGenerator<Uint8Array> {
    const requests = content.map((id) => {
      const location = this.repo.index.lookup(id);
      if (location === undefined) {
        throw new CairnError('ERR_NOT_FOUND', `data blob ${toHex(id)} of ${where} is not in the index`, { hint: 'run `cairn check` to see what is damaged' });
      }
      const request: Request = { id, location, where, index: 0 };
      this.add(request);
      return request;
    });
    // Reads wait until a whole one is queued (or a blob of it is asked for): few, large reads.
    if (this.queuedBytes >= QUEUED_BEFORE_READ) this.issue(false);
    const self = this;
    return async function* () {
      for (const request of requests) {
        self.issue(request.run === undefined);
        if (request.run === undefined) throw new CairnError('ERR_IO', `${where}: a blob was asked for out of turn`);
        try {
          const data = (await request.run.plains)[request.index]!;
          if (data instanceof CairnError) throw data;
          const { location } = request;
          // A delta decodes against its base's plaintext, read (and checked) through loadBlob's chain.
          if (location.codec !== 'delta') yield data;
          else yield unpackBlob(data, { id: request.id, codec: location.codec, rawLength: location.rawLength }, self.repo, `data blob ${toHex(request.id)} of ${where}`, undefined, await self.repo.loadBlob(location.base!, 'data'));
        } finally {
          self.release(request);
        }
      }
    };
  }

  /**
   * Puts `request` into its pack's open run when it lies in it or close to it (files of one
   * folder lie near each other in a pack, though not always in the order of the tree, whichever
   * other packs the files between went to), else into a new run of its own.
   */
  private add(request: Request): void {
    const { packId, offset, length } = request.location;
    const run = this.open.get(packId);
    const end = offset + length;
    if (run !== undefined && offset <= run.end + MAX_GAP && end + MAX_GAP >= run.start && Math.max(run.end, end) - Math.min(run.start, offset) <= MAX_RUN) {
      run.requests.push(request);
      run.start = Math.min(run.start, offset);
      run.end = Math.max(run.end, end);
    } else {
      const started: PendingRun = { packId, start: offset, end, requests: [request] };
      this.open.set(packId, started);
      this.queued.push(started);
    }
    this.queuedBytes += length;
  }

  /**
   * Starts reads of the queued runs, oldest first, while the budget allows (always one when
   * nothing is in flight); a run that could still grow waits unless `now` or much else is queued.
   */
  private issue(now: boolean): void {
    while (this.queuedHead < this.queued.length && this.reads < MAX_READS && (this.inFlight < BUDGET || this.reads === 0)) {
      const pending = this.queued[this.queuedHead]!;
      const open = this.open.get(pending.packId) === pending;
      if (open && !now && pending.end - pending.start < MAX_RUN && this.queuedBytes < QUEUED_BEFORE_READ) return;
      now = false;
      if (open) this.open.delete(pending.packId);
      this.queued[this.queuedHead] = DONE;
      this.queuedHead += 1;
      if (this.queuedHead > 1024 && this.queuedHead * 2 > this.queued.length) {
        this.queued.splice(0, this.queuedHead);
        this.queuedHead = 0;
      }
      this.read(pending);
    }
  }

  /** Reads `pending` and decodes its blobs; each of its requests gets its promise. */
  private read(pending: PendingRun): void {
    const { requests, start, end } = pending;
    let raw = 0;
    let stored = 0;
    for (const request of requests) {
      raw += request.location.rawLength;
      stored += request.location.length;
    }
    this.queuedBytes -= stored;
    const run: Run = { bytes: end - start + raw, remaining: requests.length, plains: NOTHING };
    this.inFlight += run.bytes;
    this.reads += 1;
    const pack = toHex(pending.packId);
    const read = this.repo.backend.read('data', pack, { offset: start, length: end - start }).then(
      (bytes) => {
        this.reads -= 1;
        if (bytes.length !== end - start) throw new CairnError('ERR_INTEGRITY', `pack ${pack}: ${bytes.length} bytes where the index places ${end - start} at ${start}`);
        return bytes;
      },
      (error: unknown) => {
        this.reads -= 1;
        throw error instanceof CairnError ? error : new CairnError('ERR_IO', `pack ${pack}: ${String(error)}`, { cause: error });
      },
    );
    run.plains = read.then((bytes) => this.decode(bytes, start, requests, run));
    run.plains.catch(() => undefined); // told when a blob is used
    requests.forEach((request, i) => {
      request.run = run;
      request.index = i;
    });
  }

  /** Stops the decode threads (after the last blob was used, or to give up). */
  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = null;
    if (pool === null) return;
    await this.work.settle();
    await pool.destroy();
  }

  /**
   * The plaintexts of `requests` from `bytes`, read from `start` of their pack (a delta's stored
   * bytes, for queue to decode), or the error of each that did not decode or match its id.
   */
  private async decode(bytes: Uint8Array, start: number, requests: readonly Request[], run: Run): Promise<(Uint8Array | CairnError)[]> {
    const stored = (request: Request): Uint8Array => bytes.subarray(request.location.offset - start, request.location.offset - start + request.location.length);
    // A delta's stored bytes are copied: the read's buffer may go to a thread.
    const plains: (Uint8Array | CairnError)[] = requests.map((request) => (request.location.codec === 'delta' ? stored(request).slice() : EMPTY));
    const decoding = requests.flatMap((request, i) => (request.location.codec === 'delta' ? [] : [i]));
    if (decoding.length === 0) return plains;
    const threaded = this.threads > 0 && this.storedRead >= THREADS_FROM;
    this.storedRead += bytes.byteLength;
    // The whole buffer goes to a thread: a view of a larger one is copied first.
    const own = !threaded || (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer) ? bytes : bytes.slice();
    let raw = 0;
    for (const r of decoding) raw += requests[r]!.location.rawLength;
    // A read that finds no room in the arena (it is full, or the read is larger) gets a buffer of its own.
    const region = this.arena === undefined || raw === 0 ? undefined : this.arena.take(raw);
    if (region !== undefined) run.region = region;
    const table = new Uint32Array(decoding.length * 4);
    const ids = new Uint8Array(decoding.length * 32);
    // A group member's place in its group (the decoder decodes each group of the read once, for all its members).
    let groups: Uint32Array | undefined;
    decoding.forEach((r, i) => {
      const { location } = requests[r]!;
      table[i * 4] = own.byteOffset + location.offset - start;
      table[i * 4 + 1] = location.length;
      table[i * 4 + 2] = location.rawLength;
      table[i * 4 + 3] = codecCode(location.codec);
      ids.set(requests[r]!.id, i * 32);
      if (location.codec === 'group') {
        groups ??= new Uint32Array(decoding.length * 2);
        groups[i * 2] = location.groupAt ?? 0;
        groups[i * 2 + 1] = location.groupRaw ?? 0;
      }
    });
    const task = decodeTask(own.buffer as ArrayBuffer, table, ids, packFileName(requests[0]!.location.packId), {
      macKey: this.macKey,
      groups,
      output: region === undefined ? undefined : { buffer: this.arena!.buffer, offset: region.start },
      returnInput: threaded,
    });
    let result: DecodeResult;
    try {
      result = threaded ? await this.inThread(task) : decodeStep(task, this.repo.zstd);
    } catch (error) {
      if (region !== undefined) this.arena!.free(region);
      run.region = undefined;
      throw error;
    }
    const failed = new Map(result.failures.map((failure) => [failure.blob, failure]));
    const output = result.buffer ?? this.arena!.buffer;
    let from = region === undefined || result.buffer !== undefined ? 0 : region.start;
    decoding.forEach((r, i) => {
      const to = result.ends[i]! + (output === result.buffer ? 0 : region!.start);
      const failure = failed.get(i);
      const where = requests[r]!.where;
      plains[r] = failure === undefined
        ? new Uint8Array(output, from, to - from)
        : new CairnError(failure.code as CairnError['code'], `${failure.message} (${where})`, failure.hint === undefined ? {} : { hint: failure.hint });
      from = to;
    });
    return plains;
  }

  private async inThread(task: DecodeTask): Promise<DecodeResult> {
    this.work.rethrow();
    this.pool ??= startWorkerPool('dump decode', this.options.worker ?? decodeWorker(), this.threads, (error) => this.work.fail(error));
    const work = this.pool.run(task, { transferList: [task.buffer] }) as Promise<DecodeResult>;
    this.work.track(work, 0);
    try {
      return await work;
    } catch (error) {
      this.work.rethrow(); // a worker that could not start or died: its own error
      throw error;
    }
  }

  private release(request: Request): void {
    const run = request.run;
    if (run === undefined) return;
    request.run = undefined;
    run.remaining -= 1;
    if (run.remaining > 0) return;
    this.inFlight -= run.bytes;
    if (run.region !== undefined) this.arena!.free(run.region);
    run.region = undefined;
  }
}
