import { CairnError } from '@cairn/core';
import type { ErrorCode, FileType } from '@cairn/core';

/** The media type of restic's v2 folder listing: a JSON array of `{ name, size }`. */
export const LISTING_V2 = 'application/vnd.x.restic.rest.v2';

/** The response header naming the CairnError code behind an error status (a cairn extension). */
export const ERROR_HEADER = 'cairn-error';

/** The response header a `cairn serve --append-only` server sets on every response (a cairn extension). */
export const APPEND_ONLY_HEADER = 'cairn-append-only';

const folders: Readonly<Record<Exclude<FileType, 'config'>, string>> = {
  data: 'data',
  index: 'index',
  snapshot: 'snapshots',
  key: 'keys',
  lock: 'locks',
};

/** The URL path of a file below the repository's base path, as restic's REST protocol names it: `config`, `data/<id>`, `snapshots/<id>`, `keys/<name>`, `locks/<name>`, `index/<id>`. */
export function filePath(type: FileType, name: string): string {
  return type === 'config' ? 'config' : `${folders[type]}/${name}`;
}

/** The URL path of the folder listing files of `type` (ends with "/"). */
export function folderPath(type: Exclude<FileType, 'config'>): string {
  return `${folders[type]}/`;
}

/** The file type a folder of the protocol holds, or undefined for another name. */
export function typeOfFolder(folder: string): Exclude<FileType, 'config'> | undefined {
  for (const [type, name] of Object.entries(folders)) if (name === folder) return type as Exclude<FileType, 'config'>;
  return undefined;
}

/** The HTTP status a CairnError code is answered with. */
export function statusOf(code: ErrorCode): number {
  switch (code) {
    case 'ERR_NOT_FOUND': return 404;
    case 'ERR_EXISTS': return 409;
    case 'ERR_PERMISSION': return 403;
    case 'ERR_NO_SPACE': return 507;
    case 'ERR_TRANSIENT': return 503;
    case 'ERR_USAGE': return 400;
    default: return 500;
  }
}

const codes: readonly ErrorCode[] = [
  'ERR_NOT_FOUND', 'ERR_EXISTS', 'ERR_INTEGRITY', 'ERR_FORMAT', 'ERR_VERSION', 'ERR_NOT_REPOSITORY', 'ERR_AMBIGUOUS',
  'ERR_LOCKED', 'ERR_TRANSIENT', 'ERR_PERMISSION', 'ERR_NO_SPACE', 'ERR_UNSUPPORTED', 'ERR_ABORTED', 'ERR_IO', 'ERR_USAGE',
];

/** The CairnError code of an HTTP error response: the server's cairn-error header, else by status (5xx, 408, 429: ERR_TRANSIENT). */
export function codeOfStatus(status: number, header?: string): ErrorCode {
  if (header !== undefined && (codes as readonly string[]).includes(header)) return header as ErrorCode;
  if (status === 404) return 'ERR_NOT_FOUND';
  if (status === 409) return 'ERR_EXISTS';
  if (status === 401 || status === 403) return 'ERR_PERMISSION';
  if (status === 507) return 'ERR_NO_SPACE';
  if (status === 408 || status === 429 || status >= 500) return 'ERR_TRANSIENT';
  return 'ERR_IO';
}

const transientErrno = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN', 'EAI_AGAIN', 'ECONNABORTED', 'UND_ERR_SOCKET']);

/** Translates a network error (refused, reset, timed out, hung up) into ERR_TRANSIENT naming `what`; other errors into ERR_IO (a TLS certificate problem: ERR_PERMISSION). */
export function fromNetworkError(error: unknown, what: string): CairnError {
  if (error instanceof CairnError) return error;
  const errno = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  if (typeof errno === 'string' && (transientErrno.has(errno) || message === 'socket hang up')) {
    return new CairnError('ERR_TRANSIENT', `${what}: ${message}`, { cause: error, hint: 'check that the server runs and the network reaches it' });
  }
  if (typeof errno === 'string' && /CERT|SELF_SIGNED|TLS|SSL/.test(errno)) {
    return new CairnError('ERR_PERMISSION', `${what}: ${message}`, { cause: error, hint: 'give the server\'s certificate (or its CA) with CAIRN_REST_CA' });
  }
  return new CairnError('ERR_IO', `${what}: ${message}`, { cause: error });
}
