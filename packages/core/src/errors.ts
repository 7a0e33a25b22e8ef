/** The closed set of error codes every cairn package uses. */
export type ErrorCode =
  | 'ERR_NOT_FOUND'
  | 'ERR_EXISTS'
  | 'ERR_INTEGRITY'
  | 'ERR_FORMAT'
  | 'ERR_VERSION'
  | 'ERR_NOT_REPOSITORY'
  | 'ERR_AMBIGUOUS'
  | 'ERR_LOCKED'
  | 'ERR_TRANSIENT'
  | 'ERR_PERMISSION'
  | 'ERR_NO_SPACE'
  | 'ERR_UNSUPPORTED'
  | 'ERR_ABORTED'
  | 'ERR_IO'
  /** An encrypted repository was opened without a password, or no key matches the one given. */
  | 'ERR_PASSWORD'
  /** An argument or option the user gave is not valid (the message names it and its value). */
  | 'ERR_USAGE';

/** Options of a CairnError besides its message. */
export interface CairnErrorOptions {
  /** A sentence telling the user what to do about it. */
  readonly hint?: string;
  /** The error this one translates. */
  readonly cause?: unknown;
}

/** The one error class of cairn: a message naming what and where, a code, an optional hint. */
export class CairnError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;

  constructor(code: ErrorCode, message: string, options: CairnErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CairnError';
    this.code = code;
    this.hint = options.hint;
  }
}

/** True when `error` is a CairnError (with the given code, when one is named). */
export function isCairnError(error: unknown, code?: ErrorCode): error is CairnError {
  return error instanceof CairnError && (code === undefined || error.code === code);
}

const errnoCodes: Readonly<Record<string, ErrorCode>> = {
  ENOENT: 'ERR_NOT_FOUND',
  ENOTDIR: 'ERR_NOT_FOUND',
  EEXIST: 'ERR_EXISTS',
  EACCES: 'ERR_PERMISSION',
  EPERM: 'ERR_PERMISSION',
  EROFS: 'ERR_PERMISSION',
  ENOSPC: 'ERR_NO_SPACE',
  EDQUOT: 'ERR_NO_SPACE',
  EAGAIN: 'ERR_TRANSIENT',
  EBUSY: 'ERR_TRANSIENT',
  EINTR: 'ERR_TRANSIENT',
  ETIMEDOUT: 'ERR_TRANSIENT',
  ECONNRESET: 'ERR_TRANSIENT',
  EMFILE: 'ERR_TRANSIENT',
  ENFILE: 'ERR_TRANSIENT',
};

/** Translates an OS error (errno code such as ENOENT) into a CairnError naming `what`. */
export function fromSystemError(error: unknown, what: string): CairnError {
  if (error instanceof CairnError) return error;
  const errno = (error as { code?: unknown } | null)?.code;
  const code = typeof errno === 'string' ? (errnoCodes[errno] ?? 'ERR_IO') : 'ERR_IO';
  return new CairnError(code, `${what}: ${systemReason(error)}`, { cause: error });
}

/** Node's message without the code and the path it repeats: "ENOENT: no such file or directory, open '/x'" -> "no such file or directory". */
function systemReason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const match = /^[A-Z0-9_]+: (.*?)(?:, \w+(?: '.*')?)?$/.exec(message);
  return match?.[1] ?? message;
}
