import type { Duplex } from 'node:stream';
import { CairnError } from '@cairn/core';

/** Bytes that crossed a link, counted where they enter and leave the host. */
export interface WireCounts {
  /** Bytes the host sent to the board. */
  readonly sent: number;
  /** Bytes the host received from the board. */
  readonly received: number;
}

/**
 * A duplex byte stream to a board with pull-style reads: incoming bytes are buffered,
 * and every read waits at most `timeoutMs` for the next byte (an inactivity timeout,
 * so a long transfer never times out while bytes keep coming). After the first
 * failure (timeout, closed link) the channel is unusable and says why.
 */
export class ByteChannel {
  private pending: Buffer = Buffer.alloc(0);
  private wake: (() => void) | undefined;
  private sentBytes = 0;
  private receivedBytes = 0;
  private broken: CairnError | undefined;
  private closed = false;

  constructor(
    private readonly stream: Duplex,
    /** The port, for messages ("/dev/ttyACM0", "tcp:host:port", "sim"). */
    readonly port: string,
    /** How long a read waits for the next byte (ms). */
    public timeoutMs: number,
  ) {
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new RangeError(`timeout must be a positive number of ms, got ${String(timeoutMs)}`);
    stream.on('data', (data: Buffer) => {
      this.receivedBytes += data.byteLength;
      this.pending = this.pending.byteLength === 0 ? data : Buffer.concat([this.pending, data]);
      this.notify();
    });
    stream.on('error', (error: Error) => this.fail(new CairnError('ERR_IO', `the link to ${port} failed: ${error.message}`, { cause: error })));
    stream.on('close', () => this.fail(new CairnError('ERR_IO', `the link to ${port} closed`)));
    stream.on('end', () => this.fail(new CairnError('ERR_IO', `the link to ${port} closed`)));
  }

  /** Bytes sent and received so far. */
  get counts(): WireCounts {
    return { sent: this.sentBytes, received: this.receivedBytes };
  }

  /** The error that made the channel unusable, if any. */
  get failure(): CairnError | undefined {
    return this.broken;
  }

  /** Sends bytes (waits for the stream to take them). */
  async write(data: Uint8Array): Promise<void> {
    this.assertUsable('sending');
    this.sentBytes += data.byteLength;
    await new Promise<void>((resolve, reject) => {
      this.stream.write(data, (error) => (error ? reject(this.fail(new CairnError('ERR_IO', `sending to ${this.port} failed: ${error.message}`, { cause: error }))) : resolve()));
    });
  }

  /**
   * Reads up to and including `delimiter`; returns the bytes before it. `what` names what was
   * expected, for the timeout message; `until` (ms since the epoch) ends the wait even while bytes keep coming.
   */
  async readUntil(delimiter: Uint8Array | string, what: string, until?: number): Promise<Buffer> {
    const needle = typeof delimiter === 'string' ? Buffer.from(delimiter, 'latin1') : Buffer.from(delimiter);
    let searchFrom = 0;
    for (;;) {
      const at = this.pending.indexOf(needle, searchFrom);
      if (at >= 0) {
        const before = this.pending.subarray(0, at);
        this.pending = this.pending.subarray(at + needle.byteLength);
        return before;
      }
      searchFrom = Math.max(0, this.pending.byteLength - needle.byteLength + 1);
      await this.waitForData(what, until);
    }
  }

  /** Reads exactly `n` bytes (by `until` at the latest, when given). */
  async readExactly(n: number, what: string, until?: number): Promise<Buffer> {
    while (this.pending.byteLength < n) await this.waitForData(what, until);
    const out = this.pending.subarray(0, n);
    this.pending = this.pending.subarray(n);
    return out;
  }

  /** Reads whatever has arrived, waiting for at least one byte (until `until` at the latest, when given). */
  async readSome(what: string, until?: number): Promise<Buffer> {
    while (this.pending.byteLength === 0) await this.waitForData(what, until);
    const out = this.pending;
    this.pending = Buffer.alloc(0);
    return out;
  }

  /** Takes the bytes that have arrived without waiting (possibly none). */
  takeBuffered(): Buffer {
    const out = this.pending;
    this.pending = Buffer.alloc(0);
    return out;
  }

  /** Puts bytes back in front of the buffer (a reader took more than it needed). */
  unread(data: Uint8Array): void {
    if (data.byteLength > 0) this.pending = Buffer.concat([Buffer.from(data), this.pending]);
  }

  /** Waits until no byte has arrived for `quietMs`, dropping what came (at most `maxMs` in all). */
  async drain(quietMs: number, maxMs: number): Promise<void> {
    const until = Date.now() + maxMs;
    for (;;) {
      this.pending = Buffer.alloc(0);
      const before = this.receivedBytes;
      await new Promise((resolve) => setTimeout(resolve, quietMs));
      if (this.receivedBytes === before || Date.now() >= until) {
        this.pending = Buffer.alloc(0);
        return;
      }
    }
  }

  /** Marks the channel unusable with `error` (the first failure wins) and returns the error kept. */
  fail(error: CairnError): CairnError {
    this.broken ??= error;
    this.notify();
    return this.broken;
  }

  /** Closes the stream (idempotent). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.broken ??= new CairnError('ERR_IO', `the link to ${this.port} was closed by cairn`);
    await new Promise<void>((resolve) => {
      if (this.stream.destroyed) return resolve();
      this.stream.once('close', () => resolve());
      this.stream.destroy();
    });
  }

  private assertUsable(doing: string): void {
    if (this.broken !== undefined) {
      throw new CairnError(this.broken.code, `${this.broken.message} (before ${doing})`, { cause: this.broken, ...(this.broken.hint === undefined ? {} : { hint: this.broken.hint }) });
    }
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  private timedOut(what: string): CairnError {
    return new CairnError('ERR_TRANSIENT', `the board at ${this.port} did not answer within ${this.timeoutMs / 1000} s: expected ${what}`, {
      hint: 'check that the board is connected and its REPL is free (press its reset button if a program holds it), or raise --timeout',
    });
  }

  /** Waits for the next bytes: at most `timeoutMs`, and never past `until` (a deadline that bytes arriving do not move). */
  private async waitForData(what: string, until?: number): Promise<void> {
    if (this.broken !== undefined) {
      throw new CairnError(this.broken.code, `${this.broken.message} while waiting for ${what}`, { cause: this.broken, ...(this.broken.hint === undefined ? {} : { hint: this.broken.hint }) });
    }
    const before = this.receivedBytes;
    const wait = until === undefined ? this.timeoutMs : Math.min(this.timeoutMs, until - Date.now());
    if (wait <= 0) throw this.fail(this.timedOut(what));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.wake = undefined;
        reject(this.fail(this.timedOut(what)));
      }, wait);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    if (this.receivedBytes === before && this.broken !== undefined) await this.waitForData(what, until);
  }
}
