/**
 * The board side of raw-paste mode (MicroPython's pyexec.c do_reader_stdin), for the
 * simulated board: the WebAssembly build would block forever reading stdin itself.
 * It announces a window, grants one more window (`\x01`) per window of code taken,
 * drops bytes a host sends beyond what was granted (as an overflowing UART would), and
 * hands the code over when the host sends `\x04`.
 */
export class SimRawPaste {
  private readonly code: number[] = [];
  /** Bytes the host may still send under the grants it has been sent. */
  private allowance: number;
  private grantsDue = 0;
  /** Bytes dropped because the host ignored the flow control. */
  overflowed = 0;

  constructor(private readonly window: number, send: (bytes: Uint8Array) => void) {
    // "R\x01", the window size (which grants a first window), and \x01 for a second one.
    send(Uint8Array.of(0x52, 0x01, window & 0xff, window >> 8, 0x01));
    this.allowance = 2 * window;
  }

  /**
   * Takes one byte from the host: the collected code when it ends the upload (`\x04`),
   * 'interrupt' on Ctrl-C, else undefined.
   */
  take(byte: number): Uint8Array | 'interrupt' | undefined {
    if (byte === 0x04) return Uint8Array.from(this.code);
    if (byte === 0x03) return 'interrupt';
    if (this.allowance === 0) {
      this.overflowed += 1;
      return undefined;
    }
    this.allowance -= 1;
    this.code.push(byte);
    if (this.code.length % this.window === 0) this.grantsDue += 1;
    return undefined;
  }

  /** The flow-control bytes owed for the code taken so far (sent once a batch of input is processed). */
  grants(): Uint8Array {
    const out = new Uint8Array(this.grantsDue).fill(0x01);
    this.allowance += this.grantsDue * this.window;
    this.grantsDue = 0;
    return out;
  }
}
