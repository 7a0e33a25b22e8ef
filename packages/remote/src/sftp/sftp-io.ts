import type { FileEntryWithStats, OpenMode, SFTPWrapper, Stats } from 'ssh2';
import { SFTP_STATUS } from './sftp-errors.js';

/** Bytes per read or write request, and requests in flight per file: a pipeline, so latency is paid once per window. */
const CHUNK = 32 * 1024;
const WINDOW = 16;

/** The SFTP status code of an ssh2 error, if it has one. */
export function statusOf(error: unknown): number | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

/** Calls an ssh2 callback method as a promise. */
function call<T>(start: (done: (error: Error | null | undefined, value?: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    try {
      start((error, value) => (error ? reject(error) : resolve(value as T)));
    } catch (error) {
      reject(error);
    }
  });
}

/** Opens `path` with `flags` ('r', 'wx', …) and `mode` for new files. */
export const openFile = (sftp: SFTPWrapper, path: string, flags: OpenMode, mode = 0o644): Promise<Buffer> =>
  call((done) => sftp.open(path, flags, { mode }, done));
export const closeFile = (sftp: SFTPWrapper, handle: Buffer): Promise<void> => call((done) => sftp.close(handle, done));
export const statPath = (sftp: SFTPWrapper, path: string): Promise<Stats> => call((done) => sftp.stat(path, done));
export const fstatHandle = (sftp: SFTPWrapper, handle: Buffer): Promise<Stats> => call((done) => sftp.fstat(handle, done));
export const unlinkPath = (sftp: SFTPWrapper, path: string): Promise<void> => call((done) => sftp.unlink(path, done));
export const mkdirPath = (sftp: SFTPWrapper, path: string): Promise<void> => call((done) => sftp.mkdir(path, { mode: 0o755 }, done));
export const readFolder = (sftp: SFTPWrapper, path: string): Promise<FileEntryWithStats[]> =>
  call((done) => sftp.readdir(path, done));
/** SFTP's own rename, which fails when `to` exists (OpenSSH links then unlinks): the write-once rename. */
export const renameNoReplace = (sftp: SFTPWrapper, from: string, to: string): Promise<void> => call((done) => sftp.rename(from, to, done));
/** posix-rename@openssh.com, which replaces `to` atomically. */
export const renameReplace = (sftp: SFTPWrapper, from: string, to: string): Promise<void> =>
  call((done) => sftp.ext_openssh_rename(from, to, done));
/** statvfs@openssh.com: the size of the filesystem holding `path` and the bytes free on it for the user. */
export async function statFilesystem(sftp: SFTPWrapper, path: string): Promise<{ total: number; free: number }> {
  const fs = await call<{ f_frsize: number | bigint; f_blocks: number | bigint; f_bavail: number | bigint }>(
    (done) => sftp.ext_openssh_statvfs(path, done as (error: Error | undefined, fs: unknown) => void),
  );
  return { total: Number(fs.f_blocks) * Number(fs.f_frsize), free: Number(fs.f_bavail) * Number(fs.f_frsize) };
}

/** fsync@openssh.com when the server offers it (false when it does not: then the server's own flushing is all there is). */
export async function syncFile(sftp: SFTPWrapper, handle: Buffer): Promise<boolean> {
  try {
    await call<void>((done) => sftp.ext_openssh_fsync(handle, done));
    return true;
  } catch (error) {
    if (/does not support/i.test((error as Error).message) || statusOf(error) === SFTP_STATUS.OP_UNSUPPORTED) return false;
    throw error;
  }
}

/** Writes `pieces` one after the other from offset 0, with up to WINDOW requests in flight. */
export async function writePieces(sftp: SFTPWrapper, handle: Buffer, pieces: readonly Uint8Array[]): Promise<void> {
  const requests: { buffer: Buffer; position: number }[] = [];
  let position = 0;
  for (const piece of pieces) {
    const buffer = Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength);
    for (let at = 0; at < buffer.byteLength; at += CHUNK) {
      const part = buffer.subarray(at, Math.min(at + CHUNK, buffer.byteLength));
      requests.push({ buffer: part, position: position + at });
    }
    position += buffer.byteLength;
  }
  await inWindow(requests.length, (i) => {
    const { buffer, position: at } = requests[i]!;
    return call<void>((done) => sftp.write(handle, buffer, 0, buffer.byteLength, at, (error) => done(error)));
  });
}

/** Reads `length` bytes at `offset` into a new buffer; returns how many were there (fewer at the end of the file). */
export async function readRange(sftp: SFTPWrapper, handle: Buffer, offset: number, length: number): Promise<{ bytes: Uint8Array; got: number }> {
  const bytes = Buffer.alloc(length);
  const chunks = Math.ceil(length / CHUNK);
  const got = new Array<number>(chunks).fill(0);
  await inWindow(chunks, async (i) => {
    const start = i * CHUNK;
    const want = Math.min(CHUNK, length - start);
    // A server may answer with fewer bytes than asked (its own request limit): ask again for the rest.
    while (got[i]! < want) {
      const n = await readOnce(sftp, handle, bytes, start + got[i]!, want - got[i]!, offset + start + got[i]!);
      if (n === 0) return;
      got[i]! += n;
    }
  });
  let total = 0;
  for (let i = 0; i < chunks; i++) {
    total += got[i]!;
    if (got[i]! < Math.min(CHUNK, length - i * CHUNK)) break;
  }
  return { bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, length), got: total };
}

function readOnce(sftp: SFTPWrapper, handle: Buffer, into: Buffer, at: number, length: number, position: number): Promise<number> {
  return new Promise((resolve, reject) => {
    sftp.read(handle, into, at, length, position, (error, bytesRead) => {
      if (error) return statusOf(error) === SFTP_STATUS.EOF ? resolve(0) : reject(error);
      resolve(bytesRead);
    });
  });
}

/** Runs `task(0..count-1)` with at most WINDOW running at once; the first failure rejects (after the running ones settle). */
async function inWindow(count: number, task: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (next < count && failure === undefined) {
      const index = next++;
      try {
        await task(index);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(WINDOW, count) }, worker));
  if (failure !== undefined) throw failure.error;
}
