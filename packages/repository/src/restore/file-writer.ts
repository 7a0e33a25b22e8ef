import { CairnError } from '@cairn/core';
import type { Target, TargetFile } from '@cairn/core';
import type { StepData } from './pack-reader.js';
import type { PlannedFiles } from './planned-files.js';
import type { PlannedFile, RestoreContext } from './restore-context.js';
import { ReadScheduler } from './restore-schedule.js';
import type { ReadStep, ScheduleLimits } from './read-steps.js';
import { StepPrefetch } from './step-prefetch.js';
import { createStepDecoder } from './step-decoder.js';
import type { StepDecoder } from './step-decoder.js';
import { contentIds } from '../repo/content-ids.js';
import { defaultThreads } from '../repo/worker-pool.js';
import { createTaskPool } from './task-pool.js';
import type { TaskPool } from './task-pool.js';

const MiB = 1024 * 1024;

/** How a positional restore bounds its reads, open files and memory. */
export interface WriterLimits extends ScheduleLimits {
  /** Memory of the reads done ahead of (or still held by) their writes (see StepPrefetch: with decode threads, their plaintext). */
  readonly readAhead: number;
  /** Reads done ahead of (or still held by) their writes at once (with decode threads, each in a reused buffer). */
  readonly readsAhead: number;
  /** File operations (create, write, commit, metadata) running at once. */
  readonly fileTasks: number;
  /** Files up to this size that one read holds whole go to Target.writeFiles, when the target has it. */
  readonly wholeFileBytes: number;
  /** Worker threads that decode and verify blobs while the main thread writes (0: the main thread does). */
  readonly decodeThreads: number;
  /** A restore that reads fewer stored bytes than this decodes in the main thread (starting threads costs more). */
  readonly decodeThreadsFrom: number;
}

/**
 * The limits restore() uses: at most 24 MiB of blob data in memory (8 of plaintext read ahead, 16
 * cached), 32 files open between reads. Reads of 2 MiB, up to three at once with 8 MiB of their
 * plaintext, keep the decode thread and the writes (on the target's own thread) going side by
 * side: reads of 4 MiB, whose bytes and plaintext had to fit in the 8 MiB together, left one read
 * at a time, the decoding and the writing taking turns (/usr/share to tmpfs: 2.6 s against 2.2 s,
 * the same peak RSS); four or six reads at once cost 35-45 MB more peak RSS and were no faster, and
 * 16 MiB reads cost 100 MB more. The decode thread's arena is the read-ahead and one more read; the
 * buffers reads are made into, one per read in flight.
 */
export const RESTORE_LIMITS: WriterLimits = Object.freeze({
  maxGap: 256 * 1024,
  maxReadBytes: 2 * MiB,
  maxStepBytes: 2 * MiB,
  maxOpenFiles: 32,
  cacheBytes: 16 * MiB,
  readAhead: 8 * MiB,
  readsAhead: 3,
  fileTasks: 16,
  wholeFileBytes: 1024 * 1024,
  // One thread beside the main one on two cores; up to three on more.
  decodeThreads: Math.min(3, defaultThreads() - 1),
  decodeThreadsFrom: 8 * MiB,
});

/** Room beyond maxReadBytes in the buffers reads are made into (an encrypted repository's whole segments around a range). */
const READ_SLACK = 256 * 1024;

/** The chain of a file nothing was started for yet. */
const SETTLED: Promise<void> = Promise.resolve();

/** A file being restored: its open temporary file and its operations, chained one after the other. Made at its first step, dropped once it is done or failed. */
interface FileJob {
  /** Its number in the plan. */
  readonly index: number;
  readonly file: PlannedFile;
  readonly size: number;
  handle: TargetFile | undefined;
  /** A task of it was launched: it is no longer a whole file for writeFiles. */
  started: boolean;
  chain: Promise<void>;
}

/** One write resolved to bytes. */
interface ResolvedWrite {
  readonly position: number;
  readonly pieces: Uint8Array[];
}

/**
 * Writes planned files by position through Target.createFile: each pack range is read once
 * (see ReadScheduler), its blobs decoded and verified, and written to every file that uses
 * them, several files at once. A file with a damaged blob is aborted and named as a problem;
 * any other failure (the target's, a transient read, ERR_ABORTED) aborts every temporary
 * file still open and is thrown.
 */
export async function writeByPosition(ctx: RestoreContext, files: PlannedFiles, limits: WriterLimits = RESTORE_LIMITS): Promise<void> {
  const createFile = ctx.target.createFile;
  if (createFile === undefined) throw new TypeError(`target ${ctx.target.location} cannot write by position (it has no createFile)`);
  await new PositionalWriter(ctx, files, limits, createFile.bind(ctx.target)).run();
}

/** What became of a file: not finished yet, written, or failed (named as a problem). */
const OPEN = 0;
const DONE = 1;
const FAILED = 2;

class PositionalWriter {
  /** The files being written (undefined before their first step and once finished). */
  private readonly jobs: (FileJob | undefined)[];
  /** Per file: OPEN, DONE or FAILED (the one record of it: a job holds none). */
  private readonly finished: Uint8Array;
  private readonly pool: TaskPool;
  private readonly prefetch: StepPrefetch;
  private fatal: { error: unknown } | undefined;
  private readonly damaged = new Map<number, CairnError>();
  private readonly cache = new Map<number, { data: Uint8Array; refs: number }>();
  private readonly writeFiles: Target['writeFiles'];
  private readonly decoder: StepDecoder | undefined;

  constructor(
    private readonly ctx: RestoreContext,
    private readonly files: PlannedFiles,
    private readonly limits: WriterLimits,
    private readonly createFile: NonNullable<Target['createFile']>,
  ) {
    this.jobs = new Array<FileJob | undefined>(files.count);
    this.finished = new Uint8Array(files.count);
    const writeFiles = ctx.target.writeFiles;
    this.writeFiles = writeFiles === undefined ? undefined : writeFiles.bind(ctx.target);
    this.pool = createTaskPool(limits.fileTasks);
    // The stored bytes of the blobs (a pack range read again, or a gap read through, adds a little).
    if (limits.decodeThreads > 0 && files.blobs.storedBytes >= limits.decodeThreadsFrom) {
      // The arena holds what the read-ahead allows, and one more read.
      // Reads are made into buffers that go to the decode thread and come back (one per read in
      // flight), with room for what an encrypted repository reads around a range (its whole 64 KiB
      // segments at both ends, and a tag per segment).
      this.decoder = createStepDecoder({
        threads: limits.decodeThreads,
        macKey: contentIds(ctx.repo.backend).macKey,
        arenaBytes: limits.readAhead + limits.maxStepBytes,
        readBytes: limits.maxReadBytes + READ_SLACK,
      });
    }
    const steps = new ReadScheduler(files.blobs, files.contents(), limits);
    this.prefetch = new StepPrefetch(ctx.repo, steps, files.blobs, limits.readAhead, this.decoder, limits.readsAhead);
  }

  async run(): Promise<void> {
    try {
      const { useStart } = this.files.contents();
      const empty: FileJob[] = [];
      for (let f = 0; f < this.files.count; f += 1) if (useStart[f + 1] === useStart[f]) empty.push(this.jobFor(f)!);
      if (this.writeFiles !== undefined) this.writeWhole(empty.map((job) => ({ job, data: new Uint8Array(0) })));
      else for (const job of empty) this.enqueue(job, () => this.write(job, [], true));
      while (this.fatal === undefined && !this.ctx.stopped()) {
        const taken = await this.prefetch.take();
        if (taken === undefined || this.fatal !== undefined) break;
        const tasks = this.launch(taken.step, taken.data);
        void Promise.all(tasks).then(() => this.prefetch.release(taken.step));
      }
    } catch (error) {
      this.setFatal(error);
    }
    await Promise.all(this.jobs.map((job) => job?.chain));
    await this.decoder?.close();
    if (this.fatal !== undefined) {
      for (const job of this.jobs) await job?.handle?.abort().catch(() => undefined);
      throw this.fatal.error;
    }
    // A full target: what was not written is named once, the temporary files removed.
    const first = this.finished.indexOf(OPEN);
    if (first >= 0 && this.ctx.full !== undefined) {
      let unwritten = 0;
      for (let f = first; f < this.files.count; f += 1) {
        if (this.finished[f] !== OPEN) continue;
        unwritten += 1;
        await this.jobs[f]?.handle?.abort().catch(() => undefined);
      }
      this.ctx.unwrittenAfterFull(this.files.path(first), unwritten);
      return;
    }
    if (first >= 0) throw new Error(`restore: ${this.files.path(first)} was never completed (internal error)`);
  }

  /** The job of file `f`, made at its first step; undefined once the file is done or failed. */
  private jobFor(f: number): FileJob | undefined {
    let job = this.jobs[f];
    if (job === undefined && this.finished[f] === OPEN) {
      job = { index: f, file: this.files.file(f), size: this.files.sizeOf(f), handle: undefined, started: false, chain: SETTLED };
      this.jobs[f] = job;
    }
    return job;
  }

  /** Marks `job` done or failed; it is dropped once its chain settles. */
  private finish(job: FileJob, state: typeof DONE | typeof FAILED): void {
    this.finished[job.index] = state;
  }

  /** Makes `run` the job's chain; the job is dropped when it settles with the file finished (nothing else is chained after it). */
  private chain(job: FileJob, run: Promise<void>): void {
    job.chain = run;
    void run.then(() => {
      if (job.chain === run && this.finished[job.index] !== OPEN && this.jobs[job.index] === job) this.jobs[job.index] = undefined;
    });
  }

  /** Hands a step's blobs to the files that use them (in step order, so cache references stay in step). */
  private launch(step: ReadStep, data: StepData): Promise<void>[] {
    for (const [blob, value] of data) if (value instanceof CairnError) this.damaged.set(blob, value);
    for (const { blob, uses } of step.keep) {
      const entry = this.cache.get(blob);
      const value = data.get(blob);
      if (entry !== undefined) entry.refs += uses;
      // A copy: the cache must not pin the read, and the decoder's arena reuses the room once the step is released.
      else if (value instanceof Uint8Array) this.cache.set(blob, { data: value.slice(), refs: uses });
    }
    const tasks: Promise<void>[] = [];
    const whole: { job: FileJob; data: Uint8Array }[] = [];
    const { work } = step;
    for (let i = 0; i < work.length;) {
      const file = work[i]!;
      const last = work[i + 1] === 1;
      const writeCount = work[i + 2]!;
      i += 3;
      const job = this.jobFor(file);
      let damage: CairnError | undefined;
      const writes: ResolvedWrite[] = [];
      for (let w = 0; w < writeCount; w += 1) {
        const position = work[i]!;
        const count = work[i + 1]!;
        i += 2;
        const pieces: Uint8Array[] = [];
        for (let end = i + count; i < end; i += 1) {
          const piece = work[i]!;
          const blob = piece < 0 ? -1 - piece : piece;
          // Every piece is taken, for a failed file too: the cache's references stay in step.
          const value = piece < 0 ? this.takeCached(blob) : data.get(blob);
          if (value instanceof Uint8Array) {
            pieces.push(value);
            continue;
          }
          const error = value ?? this.damaged.get(blob);
          if (error === undefined) throw new Error(`restore: a blob of ${this.files.path(file)} was neither read nor cached (internal error)`);
          damage ??= error;
        }
        writes.push({ position, pieces });
      }
      if (job === undefined || this.finished[file] === FAILED) continue;
      if (damage !== undefined) {
        this.fail(job, damage);
        continue;
      }
      const bytes = !job.started && last && this.writeFiles !== undefined && job.size <= this.limits.wholeFileBytes ? wholeData(writes, job.size) : undefined;
      if (bytes !== undefined) whole.push({ job, data: bytes });
      else tasks.push(this.enqueue(job, () => this.write(job, writes, last)));
    }
    if (whole.length > 0) tasks.push(this.writeWhole(whole));
    return tasks;
  }

  /**
   * Writes files that are whole in memory through Target.writeFiles, as one task of the pool;
   * each is then counted and linked as a committed file, or refused as write() refuses it.
   */
  private writeWhole(files: readonly { job: FileJob; data: Uint8Array }[]): Promise<void> {
    if (files.length === 0) return Promise.resolve();
    for (const { job } of files) job.started = true;
    const run = this.pool
      .run(async () => {
        if (this.fatal !== undefined || this.ctx.full !== undefined) return;
        this.ctx.checkAbort();
        const batch = files.map(({ job, data }) => ({ path: job.file.parts, data, metadata: this.ctx.commitMetadataOf(job.file), fresh: job.file.fresh }));
        const results = await this.writeFiles!(batch);
        for (let i = 0; i < results.length; i += 1) {
          const { job, data } = files[i]!;
          const error = results[i];
          if (error !== undefined) {
            await this.refuse(job, error);
            continue;
          }
          this.finish(job, DONE);
          this.ctx.wrote(job.file.path, data.byteLength);
          await this.ctx.fileWritten(job.file, batch[i]!.metadata !== undefined);
        }
      })
      .catch((error: unknown) => this.setFatal(error));
    for (const { job } of files) this.chain(job, run);
    return run;
  }

  /** The plaintext of a cached blob, dropping one reference; undefined when it was never cached (damaged). */
  private takeCached(blob: number): Uint8Array | undefined {
    const entry = this.cache.get(blob);
    if (entry === undefined) return undefined;
    entry.refs -= 1;
    if (entry.refs === 0) this.cache.delete(blob);
    return entry.data;
  }

  /** Runs `task` for `job` after its earlier tasks, within the pool; the target refusing the file fails the file, anything else ends the restore. */
  private enqueue(job: FileJob, task: () => Promise<void>): Promise<void> {
    job.started = true;
    const run = job.chain
      .then(() => {
        if (this.fatal !== undefined || this.finished[job.index] === FAILED || this.ctx.full !== undefined) return undefined;
        return this.pool.run(async () => {
          if (this.fatal !== undefined || this.finished[job.index] === FAILED || this.ctx.full !== undefined) return;
          this.ctx.checkAbort();
          try {
            await task();
          } catch (error) {
            if (this.finished[job.index] === DONE) throw error;
            await this.refuse(job, error);
          }
        });
      })
      .catch((error: unknown) => this.setFatal(error));
    this.chain(job, run);
    return run;
  }

  /** The target refused a file (rethrown when it is not that): named as not restored, its temporary file removed. */
  private async refuse(job: FileJob, error: unknown): Promise<void> {
    this.finish(job, FAILED);
    const handle = job.handle;
    job.handle = undefined;
    await handle?.abort().catch(() => undefined);
    this.ctx.fileRefused(job.file, error);
  }

  private async write(job: FileJob, writes: readonly ResolvedWrite[], last: boolean): Promise<void> {
    job.handle ??= await this.createFile(job.file.parts, job.size);
    for (const write of writes) {
      const data = joinPieces(write.pieces);
      await job.handle.write(data, write.position);
      this.ctx.wrote(job.file.path, data.byteLength);
    }
    if (!last) return;
    const metadata = this.ctx.commitMetadataOf(job.file);
    await job.handle.commit(metadata);
    job.handle = undefined;
    this.finish(job, DONE);
    await this.ctx.fileWritten(job.file, metadata !== undefined);
  }

  /** A file with a damaged blob: named as a problem, its temporary file removed once its earlier writes are done. */
  private fail(job: FileJob, damage: CairnError): void {
    this.finish(job, FAILED);
    this.ctx.fileFailed(job.file, damage);
    this.chain(job, job.chain
      .then(async () => {
        const handle = job.handle;
        job.handle = undefined;
        await handle?.abort();
      })
      .catch((error: unknown) => this.setFatal(error)));
  }

  private setFatal(error: unknown): void {
    this.fatal ??= { error };
  }
}

/** A whole file's bytes from its writes: one buffer when they cover [0, size) without gap, else undefined. */
function wholeData(writes: readonly ResolvedWrite[], size: number): Uint8Array | undefined {
  const sorted = writes.length > 1 ? [...writes].sort((a, b) => a.position - b.position) : writes;
  const pieces: Uint8Array[] = [];
  let at = 0;
  for (const write of sorted) {
    if (write.position !== at) return undefined;
    for (const piece of write.pieces) {
      pieces.push(piece);
      at += piece.byteLength;
    }
  }
  return at === size ? joinPieces(pieces) : undefined;
}

/** One buffer holding `pieces` back to back: a view when they already lie so in one buffer, else a copy. */
export function joinPieces(pieces: readonly Uint8Array[]): Uint8Array {
  const first = pieces[0];
  if (first === undefined) return new Uint8Array(0);
  if (pieces.length === 1) return first;
  let end = first.byteOffset + first.byteLength;
  for (let i = 1; i < pieces.length; i += 1) {
    const piece = pieces[i]!;
    if (piece.buffer !== first.buffer || piece.byteOffset !== end) return Buffer.concat(pieces);
    end += piece.byteLength;
  }
  return new Uint8Array(first.buffer, first.byteOffset, end - first.byteOffset);
}
