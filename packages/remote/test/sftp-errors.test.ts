import { describe, expect, it } from 'vitest';
import { sftpErrorCode, translateSftpError } from '../src/sftp/sftp-errors.js';

/** An error shaped as ssh2 reports an SFTP status (its numeric `code` and the server's message). */
const status = (code: number, message: string) => Object.assign(new Error(message), { code });
const errno = (code: string) => Object.assign(new Error(`connect ${code} 127.0.0.1:22`), { code });

describe('sftp error codes', () => {
  it('maps SFTP statuses', () => {
    expect(sftpErrorCode(status(2, 'No such file'))).toBe('ERR_NOT_FOUND');
    expect(sftpErrorCode(status(3, 'Permission denied'))).toBe('ERR_PERMISSION');
    expect(sftpErrorCode(status(6, 'No connection'))).toBe('ERR_TRANSIENT');
    expect(sftpErrorCode(status(7, 'Connection lost'))).toBe('ERR_TRANSIENT');
    expect(sftpErrorCode(status(8, 'Operation unsupported'))).toBe('ERR_UNSUPPORTED');
    expect(sftpErrorCode(status(14, 'No space on filesystem'))).toBe('ERR_NO_SPACE');
    expect(sftpErrorCode(status(4, 'Failure: No space left on device'))).toBe('ERR_NO_SPACE');
    expect(sftpErrorCode(status(4, 'Failure'))).toBe('ERR_IO');
  });

  it('maps a lost or refused connection to ERR_TRANSIENT, an unknown host to ERR_USAGE', () => {
    for (const code of ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'EPIPE']) expect(sftpErrorCode(errno(code))).toBe('ERR_TRANSIENT');
    expect(sftpErrorCode(new Error('No response from server'))).toBe('ERR_TRANSIENT');
    expect(sftpErrorCode(new Error('Not connected'))).toBe('ERR_TRANSIENT');
    expect(sftpErrorCode(Object.assign(new Error('Timed out while waiting for handshake'), { level: 'client-timeout' }))).toBe('ERR_TRANSIENT');
    expect(sftpErrorCode(Object.assign(new Error('All configured authentication methods failed'), { level: 'client-authentication' }))).toBe('ERR_PERMISSION');
    expect(sftpErrorCode(errno('ENOTFOUND'))).toBe('ERR_USAGE');
  });

  it('names the place and the operation, with a hint', () => {
    const error = translateSftpError(status(2, 'No such file'), 'sftp:ana@host:/srv', 'read /srv/config');
    expect(error.message).toBe('sftp:ana@host:/srv: read /srv/config: does not exist');
    const refused = translateSftpError(errno('ECONNREFUSED'), 'sftp:ana@host:/srv', 'cannot connect to host port 22');
    expect(refused.code).toBe('ERR_TRANSIENT');
    expect(refused.message).toContain('connection refused');
    expect(refused.hint).toContain('check the network');
  });
});
