import { CairnError, isCairnError } from '@cairn/core';
import type { ByteChannel } from '../link/byte-channel.js';
import { RAW_BANNER, requestRawPaste, sendWindowed } from './raw-paste.js';

/** When raw-paste mode is used: for code longer than 256 bytes, for all code, or never. */
export type RawPasteMode = 'auto' | 'always' | 'never';

/** Options of a RawRepl. */
export interface RawReplOptions {
  /** Default 'auto': short code goes classic (no round trip to negotiate), long code in raw-paste when the board has it. */
  readonly rawPaste?: RawPasteMode;
  /** Classic mode has no flow control: send this many bytes, then pause `pauseMs` (mpremote: 256 bytes per 10 ms). Off by default. */
  readonly pacing?: { readonly bytes: number; readonly pauseMs: number };
  /** Turns the error text of a failed exec into the error thrown (default: ERR_IO naming the exception). */
  readonly mapError?: (traceback: string, what: string) => CairnError;
}

const CLASSIC_LIMIT = 256;
/** How much of what a port sent instead of the raw REPL banner an error shows. */
const ENTER_SAMPLE = 80;
const encoder = new TextEncoder();

/**
 * A client of MicroPython's raw REPL over a ByteChannel: enters it (Ctrl-C, Ctrl-A, banner),
 * runs code classic-style (code, `\x04`, `OK`, output, `\x04`, errors, `\x04`, `>`) or in
 * raw-paste mode with the board's flow control, soft-resets, and leaves to the friendly REPL.
 * One exec at a time.
 */
export class RawRepl {
  /** Whether the board supports raw-paste: undefined until asked. */
  rawPasteSupported: boolean | undefined;
  private busy = false;
  private readonly mode: RawPasteMode;

  constructor(readonly channel: ByteChannel, private readonly options: RawReplOptions = {}) {
    this.mode = options.rawPaste ?? 'auto';
    if (!['auto', 'always', 'never'].includes(this.mode)) throw new TypeError(`rawPaste must be auto, always or never, got ${JSON.stringify(this.mode)}`);
  }

  /**
   * Interrupts what runs (Ctrl-C twice), enters the raw REPL and waits for its prompt; soft-resets
   * first when asked. All of it must be done within the channel's timeout, counted from the start:
   * a port that keeps sending other text (which no read's timeout would end) fails then.
   */
  async enter(options: { softReset?: boolean } = {}): Promise<void> {
    const { channel } = this;
    const until = Date.now() + channel.timeoutMs;
    await channel.write(Buffer.from('\r\x03\x03', 'latin1'));
    // Half the time at most for a running program's last output to stop, half for the banner.
    await channel.drain(50, Math.min(1000, channel.timeoutMs / 2));
    await channel.write(Buffer.from('\r\x01', 'latin1'));
    await this.awaitBanner(until);
    await this.expect('>', 'the raw REPL prompt', until);
    if (options.softReset === true) await this.softReset(until);
  }

  /** Reads up to the raw REPL banner by `until`; output before it (the friendly REPL's) is dropped. */
  private async awaitBanner(until: number): Promise<void> {
    const { channel } = this;
    let received = 0;
    let tail = ''; // the last bytes received: where the banner may begin, and a sample for the error
    for (;;) {
      let piece: Buffer;
      try {
        piece = await channel.readSome('the raw REPL banner ("raw REPL; CTRL-B to exit")', until);
      } catch (error) {
        if (received === 0 || !isCairnError(error, 'ERR_TRANSIENT')) throw error;
        const sample = tail.slice(-ENTER_SAMPLE);
        // The channel already failed with the timeout; this says what happened instead.
        throw new CairnError('ERR_IO', `could not enter the raw REPL of the board at ${channel.port}: no raw REPL prompt came within ${channel.timeoutMs / 1000} s; it sent ${received} bytes of other text, ending ${JSON.stringify(sample)}`, {
          cause: error,
          hint: 'check that the port is a MicroPython board (and the baud rate), and that no program on it ignores Ctrl-C: press its reset button and try again',
        });
      }
      received += piece.byteLength;
      const text = tail + piece.toString('latin1');
      const at = text.indexOf(RAW_BANNER);
      if (at >= 0) {
        channel.unread(Buffer.from(text.slice(at + RAW_BANNER.length), 'latin1'));
        return;
      }
      tail = text.slice(-Math.max(ENTER_SAMPLE, RAW_BANNER.length));
    }
  }

  /** Soft-resets the board from the raw prompt (a fresh interpreter; main.py does not run) and waits for the raw prompt again (by `until`, when given). */
  async softReset(until?: number): Promise<void> {
    await this.exclusive(async () => {
      await this.channel.write(Uint8Array.of(0x04));
      await this.expect('OK', 'OK for the soft reset', until);
      await this.expect('soft reboot\r\n', 'the soft reboot message', until);
      await this.expect(RAW_BANNER, 'the raw REPL banner after the soft reset', until);
      await this.expect('>', 'the raw REPL prompt after the soft reset', until);
    });
  }

  /** Leaves the raw REPL for the friendly one (Ctrl-B); the board's banner that follows is not waited for. */
  async leave(): Promise<void> {
    await this.channel.write(Uint8Array.of(0x02));
  }

  /** Runs `code` and returns everything it printed; an exception on the board is thrown as a CairnError naming `what`. */
  async exec(code: string, what: string): Promise<Buffer> {
    const pieces: Buffer[] = [];
    for await (const piece of this.execStream(code, what)) pieces.push(piece);
    return Buffer.concat(pieces);
  }

  /**
   * Runs `code` and yields its output as it arrives; after the output, the board's error
   * text (if any) is thrown. Stopping early still reads the rest of the answer, so the
   * board is back at its prompt for the next exec.
   */
  async *execStream(code: string, what: string): AsyncGenerator<Buffer> {
    if (this.busy) throw new Error(`the board at ${this.channel.port} is busy with another command (${what})`);
    this.busy = true;
    let stage: 'output' | 'errors' | 'done' = 'output';
    try {
      await this.send(encoder.encode(code), what);
      for (;;) {
        const piece = await this.channel.readSome(`the output of ${what}`);
        const end = piece.indexOf(0x04);
        if (end < 0) {
          yield piece;
          continue;
        }
        this.channel.unread(piece.subarray(end + 1));
        stage = 'errors';
        if (end > 0) yield piece.subarray(0, end);
        break;
      }
      const errors = await this.finish(what);
      stage = 'done';
      if (errors.length > 0) throw this.mapError(errors, what);
    } catch (error) {
      // A failure of the link names what was being done when it came.
      if (error instanceof CairnError && this.channel.failure !== undefined && !error.message.includes(what)) {
        throw new CairnError(error.code, `${error.message} (${what})`, { cause: error, ...(error.hint === undefined ? {} : { hint: error.hint }) });
      }
      throw error;
    } finally {
      if (stage === 'output') {
        await this.channel.readUntil(Uint8Array.of(0x04), `the end of the output of ${what}`).then(() => this.finish(what)).catch(() => undefined);
      }
      else if (stage === 'errors') await this.finish(what).catch(() => undefined);
      this.busy = false;
    }
  }

  /** Reads the error part and the prompt that end an answer; returns the error text. */
  private async finish(what: string): Promise<string> {
    const errors = await this.channel.readUntil(Uint8Array.of(0x04), `the end of ${what}`);
    await this.expect('>', `the raw prompt after ${what}`);
    return errors.toString('utf8');
  }

  private async send(code: Uint8Array, what: string): Promise<void> {
    const paste = this.mode === 'always' || (this.mode === 'auto' && code.byteLength > CLASSIC_LIMIT);
    if (paste && this.rawPasteSupported !== false) {
      const { answer, window } = await requestRawPaste(this.channel);
      this.rawPasteSupported = answer === 'entered';
      if (answer === 'entered') {
        await sendWindowed(this.channel, code, window);
        return;
      }
    }
    await this.sendClassic(code, what);
  }

  private async sendClassic(code: Uint8Array, what: string): Promise<void> {
    const { pacing } = this.options;
    const step = pacing?.bytes ?? code.byteLength;
    for (let at = 0; at < code.byteLength; at += step) {
      await this.channel.write(code.subarray(at, at + step));
      if (pacing !== undefined && at + step < code.byteLength) await new Promise((resolve) => setTimeout(resolve, pacing.pauseMs));
    }
    await this.channel.write(Uint8Array.of(0x04));
    const ok = await this.channel.readExactly(2, `OK for ${what}`);
    if (ok.toString('latin1') !== 'OK') {
      throw this.channel.fail(new CairnError('ERR_IO', `the board at ${this.channel.port} did not accept ${what}: it answered ${JSON.stringify(ok.toString('latin1'))} instead of OK`, {
        hint: 'another program may be using the port, or the board left the raw REPL',
      }));
    }
  }

  private async expect(text: string, what: string, until?: number): Promise<void> {
    const skipped = await this.channel.readUntil(text, what, until);
    if (text === '>' && skipped.byteLength > 0) {
      throw this.channel.fail(new CairnError('ERR_IO', `the board at ${this.channel.port} sent ${JSON.stringify(skipped.toString('latin1').slice(0, 200))} before ${what}`));
    }
  }

  private mapError(traceback: string, what: string): CairnError {
    if (this.options.mapError !== undefined) return this.options.mapError(traceback, what);
    const last = traceback.trim().split(/\r?\n/).pop() ?? traceback;
    return new CairnError('ERR_IO', `the board at ${this.channel.port} failed ${what}: ${last}`);
  }

  private async exclusive<T>(run: () => Promise<T>): Promise<T> {
    if (this.busy) throw new Error(`the board at ${this.channel.port} is busy with another command`);
    this.busy = true;
    try {
      return await run();
    } finally {
      this.busy = false;
    }
  }
}
