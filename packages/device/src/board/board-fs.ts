import { createHash } from 'node:crypto';
import { CairnError } from '@cairn/core';
import type { EntryStat } from '@cairn/core';
import { BOARD_HELPER, parseProbe } from './board-helper.js';
import type { BoardInfo } from './board-helper.js';
import { parseListing, parseStatFields } from './board-stat.js';
import type { BoardEntry } from './board-stat.js';
import type { RawRepl } from '../repl/raw-repl.js';
import { decodeDataLine, encodeWriteCall, pyString } from '../repl/wire-codec.js';

/** Options of the board's filesystem operations. */
export interface BoardFsOptions {
  /** File bytes per data line (reads) and per exec (writes). Default 4096. */
  readonly chunkSize?: number;
  /** Deflate text on the link when the board can (default true). */
  readonly compress?: boolean;
  /** How the board encodes what it sends: 'auto' (default) lets it pick base64 unless its encoder is slow, else hex. */
  readonly readEncoding?: 'auto' | 'base64' | 'hex';
}

/** Splits a stream of output pieces into lines (without `\n` or a trailing `\r`), decoded as UTF-8. */
export async function* outputLines(pieces: AsyncIterable<Buffer>): AsyncGenerator<string> {
  let rest: Buffer = Buffer.alloc(0);
  for await (const piece of pieces) {
    rest = rest.byteLength === 0 ? piece : Buffer.concat([rest, piece]);
    let start = 0;
    for (let end = rest.indexOf(0x0a); end >= 0; end = rest.indexOf(0x0a, start)) {
      const stop = end > start && rest[end - 1] === 0x0d ? end - 1 : end;
      yield rest.toString('utf8', start, stop);
      start = end + 1;
    }
    rest = rest.subarray(start);
  }
  if (rest.byteLength > 0) yield rest.toString('utf8').replace(/\r$/, '');
}

/**
 * A board's filesystem through the raw REPL and the cairn helper: listing with stats, reading
 * in large encoded chunks, sha256 on the board, writing through a temporary name and a
 * verified rename, mkdir, remove and copy. Paths are the board's absolute paths.
 */
export class BoardFs {
  readonly chunkSize: number;
  private readonly compress: boolean;

  private constructor(readonly repl: RawRepl, public info: BoardInfo, options: BoardFsOptions) {
    this.chunkSize = options.chunkSize ?? 4096;
    if (!Number.isSafeInteger(this.chunkSize) || this.chunkSize < 64 || this.chunkSize > 65536) {
      throw new RangeError(`chunkSize must be an integer within 64..65536, got ${String(options.chunkSize)}`);
    }
    this.compress = options.compress ?? true;
  }

  /** Sends the helper to the board (at the raw prompt) and reads what the board has. */
  static async install(repl: RawRepl, options: BoardFsOptions = {}): Promise<BoardFs> {
    const probe = (await repl.exec(BOARD_HELPER, 'installing the cairn helper')).toString('utf8').trim().split(/\r?\n/).pop() ?? '';
    const fs = new BoardFs(repl, parseProbe(probe, repl.channel.port), options);
    const encoding = options.readEncoding ?? 'auto';
    if (!['auto', 'base64', 'hex'].includes(encoding)) throw new TypeError(`readEncoding must be auto, base64 or hex, got ${JSON.stringify(encoding)}`);
    if (encoding !== 'auto' && fs.info.hasBinascii && fs.info.sendsBase64 !== (encoding === 'base64')) {
      await repl.exec(`_cb=${encoding === 'base64' ? 1 : 0}`, 'choosing the encoding');
      fs.info = { ...fs.info, sendsBase64: encoding === 'base64' };
    }
    return fs;
  }

  private get port(): string {
    return this.repl.channel.port;
  }

  /** Metadata of the entry at `path` (os.stat: a symlink, where a port has them, is followed). */
  async stat(path: string): Promise<EntryStat> {
    const line = (await this.repl.exec(`_cS(${pyString(path)})`, `reading the metadata of ${path}`)).toString('utf8').trim();
    return parseStatFields(line.split(' '), this.info.epochOffset, path);
  }

  /**
   * The entries of the folder at `path` (and of every folder below it when `recursive`), by
   * folder; with `digests` (and hashlib on the board) each file comes with its sha256.
   */
  async list(path: string, recursive: boolean, digests = false): Promise<Map<string, BoardEntry[]>> {
    const hashed = digests && this.info.hasHashlib;
    const lines: string[] = [];
    const call = `_cL(${pyString(path)},${recursive ? 1 : 0},${hashed ? 1 : 0})`;
    for await (const line of outputLines(this.repl.execStream(call, `listing ${path}`))) lines.push(line);
    return parseListing(lines, this.info.epochOffset, hashed);
  }

  /**
   * The bytes of the file at `path` in pieces of at most `chunkSize`, sent by one exec;
   * `onEnd` receives the file's stat taken after the last byte was read.
   */
  async *read(path: string, onEnd?: (stat: EntryStat) => void): AsyncGenerator<Buffer> {
    const tries = this.compress && this.info.canCompress ? 2 : 0;
    const lines = outputLines(this.repl.execStream(`_cR(${pyString(path)},${this.chunkSize},${tries})`, `reading ${path}`));
    for await (const line of lines) {
      if (line.startsWith('.')) {
        onEnd?.(parseStatFields(line.slice(1).split(' '), this.info.epochOffset, path));
        continue;
      }
      yield decodeDataLine(line);
    }
  }

  /** The SHA-256 of the file at `path`, computed by the board (hashlib); ERR_UNSUPPORTED without hashlib. */
  async hash(path: string): Promise<Uint8Array> {
    if (!this.info.hasHashlib) throw new CairnError('ERR_UNSUPPORTED', `the board at ${this.port} has no hashlib.sha256`);
    const line = (await this.repl.exec(`_cH(${pyString(path)})`, `hashing ${path}`)).toString('utf8').trim();
    const digest = decodeDataLine(line);
    if (digest.byteLength !== 32) throw new CairnError('ERR_FORMAT', `the board at ${this.port} sent a ${digest.byteLength}-byte sha256 for ${path}`);
    return digest;
  }

  /**
   * Writes `data` to `temp`, checks its size (and sha256, when the board has hashlib) on the
   * board, then renames it over `path`. On failure the temporary file is removed (when the
   * link still works), so `path` never holds a partial file. Returns the bytes written.
   */
  async writeFile(temp: string, path: string, data: AsyncIterable<Uint8Array>, onBytes?: (bytes: number) => void): Promise<number> {
    const encodings = { base64: this.info.hasBinascii, deflate: this.compress && this.info.canDecompress && this.info.hasBinascii };
    const hash = createHash('sha256');
    let size = 0;
    let opened = false;
    const send = async (piece: Buffer | undefined, last: boolean): Promise<void> => {
      const calls: string[] = [];
      if (!opened) calls.push(`_cO(${pyString(temp)})`);
      opened = true;
      if (piece !== undefined && piece.byteLength > 0) calls.push(encodeWriteCall(piece, encodings));
      if (last) {
        const check = this.info.hasHashlib && this.info.hasBinascii ? `b'${hash.digest('hex')}'` : "b''";
        calls.push(`_cC(${pyString(temp)},${pyString(path)},${size},${check})`);
      }
      await this.repl.exec(calls.join('\n'), `writing ${path}`);
      if (piece !== undefined) onBytes?.(piece.byteLength);
    };
    try {
      let buffered: Buffer[] = [];
      let bufferedBytes = 0;
      for await (const piece of data) {
        if (!(piece instanceof Uint8Array)) throw new TypeError(`file data must be Uint8Arrays, got ${typeof piece}`);
        hash.update(piece);
        size += piece.byteLength;
        buffered.push(Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength));
        bufferedBytes += piece.byteLength;
        while (bufferedBytes > this.chunkSize) {
          const all = Buffer.concat(buffered);
          await send(all.subarray(0, this.chunkSize), false);
          buffered = [all.subarray(this.chunkSize)];
          bufferedBytes -= this.chunkSize;
        }
      }
      await send(Buffer.concat(buffered), true);
      return size;
    } catch (error) {
      if (opened && this.repl.channel.failure === undefined) await this.repl.exec(`_cA(${pyString(temp)})`, `removing ${temp}`).catch(() => undefined);
      throw error;
    }
  }

  /** Creates the folder `path` (its parent must exist). */
  async mkdir(path: string): Promise<void> {
    await this.repl.exec(`os.mkdir(${pyString(path)})`, `creating the folder ${path}`);
  }

  /** Removes the file or the empty folder at `path`; a folder that is not empty is refused (ERR_EXISTS: the board's ENOTEMPTY). */
  async remove(path: string): Promise<void> {
    await this.repl.exec(`_cD(${pyString(path)})`, `removing ${path}`);
  }

  /** Copies the file `from` to `temp` on the board, then renames it over `path` (no byte crosses the link). */
  async copy(from: string, temp: string, path: string): Promise<void> {
    try {
      await this.repl.exec(`_cK(${pyString(from)},${pyString(temp)},${pyString(path)})`, `copying ${from} to ${path}`);
    } catch (error) {
      if (this.repl.channel.failure === undefined) await this.repl.exec(`_cA(${pyString(temp)})`, `removing ${temp}`).catch(() => undefined);
      throw error;
    }
  }

  /** Removes the helper's names from the board's globals. */
  async uninstall(): Promise<void> {
    await this.repl.exec('_cE()', 'removing the cairn helper');
  }
}
