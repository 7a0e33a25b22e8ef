import { Duplex } from 'node:stream';
import { CairnError } from '@cairn/core';
import { bootScript, copyTree, FLASH, loadInterpreter } from './sim-interpreter.js';
import type { EmscriptenFs, Interpreter } from './sim-interpreter.js';
import { MOUNT_FLASH, saveFlash, seedFlash } from './sim-flash.js';
import { SimRawPaste } from './sim-raw-paste.js';

/** A fault the simulated board shows once it has sent `afterBytes` (more) bytes: it stops answering, or the link drops. */
export interface SimFault {
  readonly kind: 'stall' | 'drop';
  readonly afterBytes: number;
}

/** Options of createSimBoard(). */
export interface SimBoardOptions {
  /** A local folder whose files and folders are copied onto the board's flash (mtimes kept). */
  readonly seed?: string;
  /** Answer raw-paste requests with the board side of raw-paste (default true), or with `R\x00`. */
  readonly rawPaste?: boolean;
  /** The raw-paste window the board announces (default 128, as MicroPython's 256-byte stdin buffer gives). */
  readonly pasteWindow?: number;
  /** Bytes that can still be written to the flash; a write beyond raises OSError ENOSPC (removing files does not give them back). */
  readonly freeBytes?: number;
  readonly fault?: SimFault;
}

/** A MicroPython board simulated in this process (the WebAssembly port) behind a byte stream. */
export interface SimBoard {
  /** The host's end of the board's serial line. */
  readonly stream: Duplex;
  /** Bytes the board received and sent, counted at the board. */
  readonly counts: { readonly toBoard: number; readonly fromBoard: number };
  /** Bytes the board dropped because the host sent beyond its raw-paste window. */
  readonly overflowed: number;
  /** The REPL the board is in: a board at rest sits in the friendly one. */
  readonly mode: 'friendly' | 'raw';
  /** Reads a file of the flash directly (not over the link), by its board path. */
  readFile(path: string): Uint8Array;
  /** Writes a file of the flash directly (not over the link), by its board path; its parent must exist. */
  writeFile(path: string, data: Uint8Array | string): void;
  /** Makes the board stop answering ('stall') or drop the link ('drop') once it has sent `afterBytes` more bytes. */
  injectFault(fault: SimFault): void;
  /** Copies the flash's files and folders into the local folder `dir` (created; existing files are overwritten, none removed). */
  saveFlash(dir: string): Promise<void>;
  close(): Promise<void>;
}


/**
 * Starts a simulated board: real MicroPython (WebAssembly) whose "/" is a VfsPosix over an
 * in-memory flash folder, seeded from `options.seed`. The bridge feeds the REPL byte by byte,
 * answers raw-paste requests itself (the WebAssembly build would hang on them), turns a soft
 * reset into a fresh interpreter on the same flash, and can run out of space or fail on cue.
 */
export async function createSimBoard(options: SimBoardOptions = {}): Promise<SimBoard> {
  const bridge = new SimBridge(options);
  await bridge.start();
  return bridge;
}

class SimBridge implements SimBoard {
  readonly stream: Duplex;
  private interpreter: Interpreter | undefined;
  private raw = false;
  private lineEmpty = true;
  private escape: number[] = [];
  private paste: SimRawPaste | undefined;
  private dropOk = 0;
  private out: number[] = [];
  private captured: number[] | undefined;
  private queue: Buffer[] = [];
  private pumping = false;
  private halted = false;
  private used = 0;
  private unlimited = true;
  private received = 0;
  private sent = 0;
  private pasteOverflow = 0;
  private fault: { kind: SimFault['kind']; at: number } | undefined;

  constructor(private readonly options: SimBoardOptions) {
    if (options.fault !== undefined) this.injectFault(options.fault);
    const window = options.pasteWindow ?? 128;
    if (!Number.isInteger(window) || window < 1 || window > 0xffff) throw new RangeError(`pasteWindow must be within 1..65535, got ${String(window)}`);
    this.stream = new Duplex({
      read: () => undefined,
      write: (chunk: Buffer, _encoding, done) => {
        this.received += chunk.byteLength;
        if (!this.halted) {
          this.queue.push(chunk);
          setImmediate(() => void this.pump());
        }
        done();
      },
    });
  }

  get counts(): { toBoard: number; fromBoard: number } {
    return { toBoard: this.received, fromBoard: this.sent };
  }

  get mode(): 'friendly' | 'raw' {
    return this.raw ? 'raw' : 'friendly';
  }

  get overflowed(): number {
    return this.pasteOverflow + (this.paste?.overflowed ?? 0);
  }

  async start(): Promise<void> {
    this.interpreter = await this.boot();
    this.unlimited = true;
    if (this.options.seed !== undefined) seedFlash(this.interpreter.fs, this.options.seed, FLASH);
    this.unlimited = false;
    this.quiet(() => this.feed(0x02)); // a board at rest sits in the friendly REPL
  }

  readFile(path: string): Uint8Array {
    return this.flash().readFile(flashPath(path));
  }

  writeFile(path: string, data: Uint8Array | string): void {
    this.unlimited = true;
    try {
      this.flash().writeFile(flashPath(path), typeof data === 'string' ? Buffer.from(data) : data);
    } finally {
      this.unlimited = false;
    }
  }

  injectFault(fault: SimFault): void {
    if (fault.kind !== 'stall' && fault.kind !== 'drop') throw new TypeError(`a fault is stall or drop, got ${JSON.stringify(fault.kind)}`);
    if (!Number.isSafeInteger(fault.afterBytes) || fault.afterBytes < 0) throw new RangeError(`afterBytes must be a non-negative integer, got ${String(fault.afterBytes)}`);
    this.fault = { kind: fault.kind, at: this.sent + fault.afterBytes };
  }

  async saveFlash(dir: string): Promise<void> {
    await saveFlash(this.flash(), FLASH, dir);
  }

  async close(): Promise<void> {
    this.halted = true;
    this.queue = [];
    if (!this.stream.destroyed) this.stream.destroy();
    this.interpreter = undefined;
  }

  private flash(): EmscriptenFs {
    if (this.interpreter === undefined) throw new CairnError('ERR_IO', 'the simulated board is closed');
    return this.interpreter.fs;
  }

  /** A fresh interpreter with the flash mounted at "/", left in the raw REPL. */
  private async boot(): Promise<Interpreter> {
    this.captured = []; // the banner of the new interpreter is not shown
    const interpreter = await loadInterpreter((byte) => this.output(byte), (bytes) => this.spend(bytes));
    this.interpreter = interpreter;
    bootScript(interpreter, MOUNT_FLASH, () => {
      const text = Buffer.from(this.captured ?? []).toString('latin1');
      this.captured = [];
      return text;
    });
    this.captured = undefined;
    this.raw = true;
    this.lineEmpty = true;
    return interpreter;
  }

  private spend(bytes: number): boolean {
    if (this.unlimited || this.options.freeBytes === undefined) return true;
    if (this.used + bytes > this.options.freeBytes) return false;
    this.used += bytes;
    return true;
  }

  /** Runs `action` with the board's output thrown away. */
  private quiet(action: () => void): void {
    this.captured = [];
    try {
      action();
    } finally {
      this.captured = undefined;
    }
  }

  private output(byte: number): void {
    if (this.captured !== undefined) {
      this.captured.push(byte);
      return;
    }
    // After a raw-paste upload the code runs as a classic exec, whose "OK" raw-paste does not send.
    if (this.dropOk > 0 && byte === (this.dropOk === 2 ? 0x4f : 0x4b)) {
      this.dropOk -= 1;
      return;
    }
    this.dropOk = 0;
    this.out.push(byte);
  }

  private send(bytes: Iterable<number>): void {
    for (const byte of bytes) this.out.push(byte);
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      for (let chunk = this.queue.shift(); chunk !== undefined && !this.halted; chunk = this.queue.shift()) {
        for (const byte of chunk) {
          const reboot = this.handle(byte);
          if (reboot) await this.softReboot();
          if (this.halted) break;
        }
        if (this.paste !== undefined) this.send(this.paste.grants());
        this.flush();
      }
    } finally {
      this.pumping = false;
    }
  }

  /** Handles one byte from the host; true when the board must soft-reboot. */
  private handle(byte: number): boolean {
    if (this.paste !== undefined) {
      const taken = this.paste.take(byte);
      if (taken === undefined) return false;
      this.pasteOverflow += this.paste.overflowed;
      this.paste = undefined;
      this.lineEmpty = true;
      if (taken === 'interrupt') {
        this.send(Buffer.from('\x04\x04Traceback (most recent call last):\r\nKeyboardInterrupt: \r\n\x04>', 'latin1'));
        return false;
      }
      this.send([0x04]);
      this.dropOk = 2;
      for (const codeByte of taken) this.feed(codeByte);
      return this.feed(0x04);
    }
    if (this.escape.length > 0) {
      this.escape.push(byte);
      if (this.escape.length === 2 && byte > 0x04) return false;
      const [, command, last] = this.escape;
      const held = this.escape;
      this.escape = [];
      if (held.length === 3 && last === 0x01) {
        if (command === 0x41 && this.options.rawPaste !== false) this.paste = new SimRawPaste(this.options.pasteWindow ?? 128, (bytes) => this.send(bytes));
        else this.send(Buffer.from('R\x00>', 'latin1'));
        return false;
      }
      return held.map((b) => this.feed(b)).some(Boolean);
    }
    if (this.raw && this.lineEmpty && byte === 0x05) {
      this.escape = [byte];
      return false;
    }
    return this.feed(byte);
  }

  /** Feeds one byte to the interpreter, tracking the REPL mode; true when it asked for a soft reset. */
  private feed(byte: number): boolean {
    const result = this.interpreter?.feed(byte) ?? 0;
    if (byte === 0x01) {
      this.raw = true;
      this.lineEmpty = true;
    } else if (byte === 0x02) {
      this.raw = false;
    } else if (this.raw) {
      this.lineEmpty = byte === 0x03 || byte === 0x04;
    }
    return (result & 0x100) !== 0;
  }

  /** A soft reset: a new interpreter on the same flash, back in the REPL the board was in. */
  private async softReboot(): Promise<void> {
    const wasRaw = this.raw;
    const old = this.interpreter;
    this.send(Buffer.from('MPY: soft reboot\r\n', 'latin1'));
    this.flush();
    const next = await this.boot();
    if (old !== undefined) {
      this.unlimited = true;
      copyTree(old.fs, next.fs, FLASH);
      this.unlimited = false;
    }
    if (wasRaw) this.send(Buffer.from('raw REPL; CTRL-B to exit\r\n>', 'latin1'));
    else this.feed(0x02);
  }

  /** Sends what the board printed, unless a fault stops it first. */
  private flush(): void {
    if (this.out.length === 0 || this.halted) return;
    let bytes = Buffer.from(this.out);
    this.out = [];
    const fault = this.fault;
    const cut = fault === undefined ? Infinity : fault.at - this.sent;
    if (bytes.byteLength >= cut) {
      bytes = bytes.subarray(0, Math.max(0, cut));
      this.halted = true;
    }
    this.sent += bytes.byteLength;
    if (bytes.byteLength > 0) this.stream.push(bytes);
    if (this.halted && fault?.kind === 'drop') setImmediate(() => this.stream.destroy());
  }
}

function flashPath(path: string): string {
  if (!path.startsWith('/')) throw new TypeError(`a board path must be absolute, got ${JSON.stringify(path)}`);
  return path === '/' ? FLASH : `${FLASH}${path}`;
}
