import { CairnError } from '@cairn/core';

/**
 * The bytes an archive writer has made and the reader has not taken yet: the writer pushes,
 * waits on `room()` while more than `limit` bytes are queued, and the reader iterates.
 * `fail` ends the reading with an error and fails the writer's wait with it.
 */
export class OutputQueue implements AsyncIterable<Uint8Array> {
  private chunks: Uint8Array[] = [];
  private head = 0;
  private bytes = 0;
  private ended = false;
  /** What the reader throws (fail with an error), and what a writer's wait rejects with (any fail). */
  private error: Error | null = null;
  private closed: Error | null = null;
  private wakeReader: (() => void) | null = null;
  private wakeWriter: (() => void) | null = null;

  /** `taken` gets each chunk back once the reader asks for the one after it. */
  constructor(private readonly limit: number, private readonly taken?: (chunk: Uint8Array) => void) {}

  /** Queues `chunk`, kept as it is: the writer must not change it after. */
  push(chunk: Uint8Array): void {
    if (this.ended) return;
    this.chunks.push(chunk);
    this.bytes += chunk.byteLength;
    this.wake();
  }

  /** Undefined while fewer than `limit` bytes are queued, else a promise for when half are taken (rejected by fail). */
  room(): Promise<void> | undefined {
    if (this.closed !== null) return Promise.reject(this.closed);
    if (this.bytes < this.limit) return undefined;
    return new Promise<void>((resolve) => {
      this.wakeWriter = resolve;
    }).then(() => {
      if (this.closed !== null) throw this.closed;
    });
  }

  /** No more chunks: the reading ends after the last. */
  end(): void {
    this.ended = true;
    this.wake();
  }

  /** Ends the reading with `error` (or quietly when absent) and drops what is queued. */
  fail(error?: Error): void {
    if (this.closed !== null) return;
    if (error !== undefined && !this.ended) this.error = error;
    this.closed = error ?? new CairnError('ERR_ABORTED', 'the archive was closed before its end');
    this.ended = true;
    this.chunks = [];
    this.head = 0;
    this.bytes = 0;
    this.wake();
    this.wakeWriter?.();
    this.wakeWriter = null;
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Uint8Array> {
    for (;;) {
      if (this.head < this.chunks.length) {
        const chunk = this.chunks[this.head]!;
        this.chunks[this.head] = EMPTY;
        this.head += 1;
        if (this.head === this.chunks.length) [this.chunks, this.head] = [[], 0];
        this.bytes -= chunk.byteLength;
        if (this.wakeWriter !== null && this.bytes <= this.limit / 2) {
          this.wakeWriter();
          this.wakeWriter = null;
        }
        yield chunk;
        this.taken?.(chunk);
        continue;
      }
      if (this.error !== null) throw this.error;
      if (this.ended) return;
      await new Promise<void>((resolve) => {
        this.wakeReader = resolve;
      });
    }
  }

  private wake(): void {
    const wake = this.wakeReader;
    this.wakeReader = null;
    wake?.();
  }
}

const EMPTY = new Uint8Array(0);
