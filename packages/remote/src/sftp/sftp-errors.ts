import { CairnError, isCairnError } from '@cairn/core';
import type { ErrorCode } from '@cairn/core';

/** SFTP status codes (draft-ietf-secsh-filexfer; 14 is from version 5 on, which some servers send anyway). */
export const SFTP_STATUS = {
  EOF: 1,
  NO_SUCH_FILE: 2,
  PERMISSION_DENIED: 3,
  FAILURE: 4,
  NO_CONNECTION: 6,
  CONNECTION_LOST: 7,
  OP_UNSUPPORTED: 8,
  NO_SPACE_ON_FILESYSTEM: 14,
  QUOTA_EXCEEDED: 15,
} as const;

const statusCodes: Readonly<Record<number, ErrorCode>> = {
  [SFTP_STATUS.NO_SUCH_FILE]: 'ERR_NOT_FOUND',
  [SFTP_STATUS.PERMISSION_DENIED]: 'ERR_PERMISSION',
  [SFTP_STATUS.NO_CONNECTION]: 'ERR_TRANSIENT',
  [SFTP_STATUS.CONNECTION_LOST]: 'ERR_TRANSIENT',
  [SFTP_STATUS.OP_UNSUPPORTED]: 'ERR_UNSUPPORTED',
  [SFTP_STATUS.NO_SPACE_ON_FILESYSTEM]: 'ERR_NO_SPACE',
  [SFTP_STATUS.QUOTA_EXCEEDED]: 'ERR_NO_SPACE',
};

/** Socket and resolver errors that a later try may not meet. */
const transientErrnos = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH',
  'ENETDOWN', 'EHOSTDOWN', 'EAI_AGAIN', 'ERR_SOCKET_CLOSED', 'ERR_STREAM_DESTROYED',
]);

/** Messages of ssh2 when the connection or channel went away under a request. */
const transientMessages = /no response from server|not connected|connection lost|channel (?:open failure|closed)|timed out|socket (?:closed|hang up)|connection (?:closed|reset)|keepalive timeout|unable to start subsystem|handshake failed/i;
const noSpaceMessages = /no space|disk full|quota|ENOSPC|EDQUOT/i;

/** The CairnError code of an ssh2 / SFTP / socket error. */
export function sftpErrorCode(error: unknown): ErrorCode {
  if (isCairnError(error)) return error.code;
  const e = error as { code?: unknown; level?: unknown; message?: unknown };
  const message = typeof e.message === 'string' ? e.message : String(error);
  if (typeof e.code === 'number') {
    if (noSpaceMessages.test(message)) return 'ERR_NO_SPACE';
    return statusCodes[e.code] ?? 'ERR_IO';
  }
  if (typeof e.code === 'string') {
    if (transientErrnos.has(e.code)) return 'ERR_TRANSIENT';
    if (e.code === 'ENOTFOUND') return 'ERR_USAGE';
  }
  if (e.level === 'client-authentication') return 'ERR_PERMISSION';
  if (/does not support this extended request/i.test(message)) return 'ERR_UNSUPPORTED';
  if (e.level === 'client-socket' || e.level === 'client-timeout') return 'ERR_TRANSIENT';
  if (transientMessages.test(message)) return 'ERR_TRANSIENT';
  if (noSpaceMessages.test(message)) return 'ERR_NO_SPACE';
  return 'ERR_IO';
}

const hints: Partial<Record<ErrorCode, string>> = {
  ERR_TRANSIENT: 'the connection to the sftp server failed; check the network and that the server runs, then run the command again',
  ERR_PERMISSION: 'check the user\'s rights on the folder on the sftp server',
  ERR_NO_SPACE: 'free some space on the sftp server (cairn forget/prune work), or use another repository',
  ERR_UNSUPPORTED: 'the sftp server lacks an operation cairn needs; OpenSSH\'s sftp-server has them all',
  ERR_USAGE: 'check the host name in the repository location',
};

const errnoText: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused (is the ssh server running on that port?)',
  ECONNRESET: 'the connection was reset',
  ETIMEDOUT: 'timed out',
  EHOSTUNREACH: 'the host is unreachable',
  ENETUNREACH: 'the network is unreachable',
  ENOTFOUND: 'no such host',
  EAI_AGAIN: 'the host name could not be looked up (DNS)',
};

/** Translates an ssh2 / SFTP / socket error into a CairnError naming `what` (an operation and a file) and `where`. */
export function translateSftpError(error: unknown, where: string, what: string): CairnError {
  if (isCairnError(error)) return error;
  const code = sftpErrorCode(error);
  const errno = (error as { code?: unknown } | null)?.code;
  const detail = typeof errno === 'string' && errnoText[errno] !== undefined ? errnoText[errno]
    : error instanceof Error ? error.message : String(error);
  const reason = code === 'ERR_NOT_FOUND' ? 'does not exist' : code === 'ERR_PERMISSION' ? 'permission denied' : detail;
  return new CairnError(code, `${where}: ${what}: ${reason}`, { cause: error, ...(hints[code] === undefined ? {} : { hint: hints[code] }) });
}
