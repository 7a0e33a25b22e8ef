import { CairnError } from '@cairn/core';
import type { ErrorCode } from '@cairn/core';

/**
 * errno numbers as MicroPython's own ports raise them (its mperrno.h uses the Linux values;
 * FAT and littlefs errors are translated to them).
 */
const MICROPYTHON_ERRNO: Readonly<Record<number, string>> = {
  1: 'EPERM', 2: 'ENOENT', 5: 'EIO', 9: 'EBADF', 11: 'EAGAIN', 12: 'ENOMEM', 13: 'EACCES', 16: 'EBUSY',
  17: 'EEXIST', 19: 'ENODEV', 20: 'ENOTDIR', 21: 'EISDIR', 22: 'EINVAL', 27: 'EFBIG', 28: 'ENOSPC', 30: 'EROFS',
  36: 'ENAMETOOLONG', 39: 'ENOTEMPTY', 95: 'EOPNOTSUPP', 110: 'ETIMEDOUT',
};

/**
 * errno numbers of the WebAssembly port: its VfsPosix passes on Emscripten's (WASI) values,
 * which differ from those of its own `errno` module.
 */
const WASI_ERRNO: Readonly<Record<number, string>> = {
  2: 'EACCES', 6: 'EAGAIN', 8: 'EBADF', 10: 'EBUSY', 19: 'EDQUOT', 20: 'EEXIST', 22: 'EFBIG', 28: 'EINVAL', 29: 'EIO',
  31: 'EISDIR', 37: 'ENAMETOOLONG', 43: 'ENODEV', 44: 'ENOENT', 48: 'ENOMEM', 51: 'ENOSPC', 52: 'ENOSYS',
  54: 'ENOTDIR', 55: 'ENOTEMPTY', 58: 'EOPNOTSUPP', 63: 'EPERM', 69: 'EROFS', 73: 'ETIMEDOUT',
};

const CODES: Readonly<Record<string, ErrorCode>> = {
  ENOENT: 'ERR_NOT_FOUND', ENOTDIR: 'ERR_NOT_FOUND', ENODEV: 'ERR_NOT_FOUND',
  EEXIST: 'ERR_EXISTS', EISDIR: 'ERR_EXISTS', ENOTEMPTY: 'ERR_EXISTS',
  EACCES: 'ERR_PERMISSION', EPERM: 'ERR_PERMISSION', EROFS: 'ERR_PERMISSION',
  ENOSPC: 'ERR_NO_SPACE', EDQUOT: 'ERR_NO_SPACE', EFBIG: 'ERR_NO_SPACE',
  EAGAIN: 'ERR_TRANSIENT', EBUSY: 'ERR_TRANSIENT', ETIMEDOUT: 'ERR_TRANSIENT',
  EOPNOTSUPP: 'ERR_UNSUPPORTED', ENOSYS: 'ERR_UNSUPPORTED',
};

const REASONS: Readonly<Record<string, string>> = {
  ENOENT: 'no such file or folder', ENOTDIR: 'a part of the path is not a folder', EEXIST: 'it exists already',
  EISDIR: 'it is a folder', ENOTEMPTY: 'the folder is not empty', EACCES: 'permission denied', EPERM: 'not permitted',
  EROFS: 'the filesystem is read-only', ENOSPC: "no space left on the board's filesystem", EFBIG: 'the file is too large for the filesystem',
  EIO: 'I/O error', ENOMEM: 'the board ran out of memory', EBUSY: 'busy', ETIMEDOUT: 'timed out',
};

/** The exception a traceback ends with: type, text, and for an OSError its errno name and number when they can be told. */
export interface BoardException {
  readonly type: string;
  readonly text: string;
  readonly errno?: number;
  readonly errnoName?: string;
}

/** Reads the last line of a MicroPython traceback ("OSError: [Errno 2] ENOENT", "OSError: 44", "ValueError: size"). */
export function parseTraceback(traceback: string, platform: string): BoardException {
  const lines = traceback.split(/\r?\n/).map((line) => line.trim()).filter((line) => line !== '');
  const last = lines[lines.length - 1] ?? '';
  const match = /^([A-Za-z_][\w.]*)(?::\s?(.*))?$/.exec(last);
  const type = match?.[1] ?? 'Exception';
  const text = match?.[2] ?? last;
  if (type !== 'OSError') return { type, text };
  const named = /^\[Errno (\d+)\] (E[A-Z0-9]+)/.exec(text);
  if (named !== null) return { type, text, errno: Number(named[1]), errnoName: named[2] ?? '' };
  const numeric = /^(?:\[Errno )?(-?\d+)\]?/.exec(text);
  if (numeric !== null) {
    const errno = Number(numeric[1]);
    const table = platform === 'webassembly' ? WASI_ERRNO : MICROPYTHON_ERRNO;
    const errnoName = table[errno];
    return errnoName === undefined ? { type, text, errno } : { type, text, errno, errnoName };
  }
  const bare = /^(E[A-Z0-9]+)$/.exec(text);
  return bare !== null ? { type, text, errnoName: bare[1] ?? '' } : { type, text };
}

/** The CairnError for an exception the board raised while doing `what` ("reading /lib/x.py"). */
export function boardError(port: string, platform: string, traceback: string, what: string): CairnError {
  const exception = parseTraceback(traceback, platform);
  if (exception.type === 'OSError') {
    const name = exception.errnoName;
    const code = (name === undefined ? undefined : CODES[name]) ?? 'ERR_IO';
    const reason = name === undefined ? `OSError ${exception.errno ?? exception.text}` : `${REASONS[name] ?? name} (${name})`;
    return new CairnError(code, `the board at ${port}: ${what}: ${reason}`, {
      ...(name === 'ENOSPC' ? { hint: 'free space on the board (remove files), or restore fewer paths with --path' } : {}),
      ...(name === 'ENOMEM' ? { hint: 'use smaller transfers (--chunk-size), or soft-reset the board first (--soft-reset)' } : {}),
    });
  }
  if (exception.type === 'ValueError' && exception.text.startsWith('cairn-verify: ')) {
    return new CairnError('ERR_INTEGRITY', `the board at ${port}: ${what}: ${exception.text.slice('cairn-verify: '.length)}`);
  }
  if (exception.type === 'MemoryError') {
    return new CairnError('ERR_IO', `the board at ${port}: ${what}: the board ran out of memory`, {
      hint: 'use smaller transfers (--chunk-size), or soft-reset the board first (--soft-reset)',
    });
  }
  if (exception.type === 'ImportError') {
    return new CairnError('ERR_UNSUPPORTED', `the board at ${port}: ${what}: its firmware lacks a module (${exception.text})`);
  }
  return new CairnError('ERR_IO', `the board at ${port}: ${what}: ${exception.type}${exception.text === '' ? '' : `: ${exception.text}`}`);
}
