import { userInfo } from 'node:os';
import { describe, expect, it } from 'vitest';
import { isCairnError } from '@cairn/core';
import { parseSftpLocation } from '@cairn/remote';

describe('parseSftpLocation', () => {
  it('reads the forms restic accepts', () => {
    expect(parseSftpLocation('ana@host:/srv/repo')).toEqual({ user: 'ana', host: 'host', port: 22, path: '/srv/repo', display: 'sftp:ana@host:/srv/repo' });
    expect(parseSftpLocation('ana@host:backups/repo/')).toMatchObject({ user: 'ana', host: 'host', port: 22, path: 'backups/repo' });
    expect(parseSftpLocation('host:repo')).toMatchObject({ user: userInfo().username, host: 'host', path: 'repo' });
    expect(parseSftpLocation('//ana@host:2222//srv/repo')).toMatchObject({ user: 'ana', host: 'host', port: 2222, path: '/srv/repo' });
    expect(parseSftpLocation('//ana@host:2222/repo')).toMatchObject({ port: 2222, path: 'repo' });
    expect(parseSftpLocation('//host/repo')).toMatchObject({ host: 'host', port: 22, path: 'repo' });
    expect(parseSftpLocation('//ana@[::1]:2222//srv/repo')).toMatchObject({ host: '::1', port: 2222, path: '/srv/repo' });
    expect(parseSftpLocation('ana@[::1]:/srv/repo')).toMatchObject({ host: '::1', port: 22, path: '/srv/repo' });
    expect(parseSftpLocation('ana@host:/srv/a@b:c')).toMatchObject({ user: 'ana', host: 'host', path: '/srv/a@b:c' });
  });

  it.each([
    ['host', 'names no folder'],
    ['ana@host:', 'names no folder'],
    ['//ana@host', 'names no folder'],
    ['//ana@host:99999//srv', 'port "99999" is not a port number'],
    ['ana@host:~/repo', 'starting with "~"'],
    ['@host:/x', 'user name before "@" is empty'],
  ])('refuses sftp:%s, naming the location', (spec, why) => {
    let error: unknown;
    try {
      parseSftpLocation(spec);
    } catch (e) {
      error = e;
    }
    expect(isCairnError(error, 'ERR_USAGE')).toBe(true);
    expect((error as Error).message).toContain(`"sftp:${spec}"`);
    expect((error as Error).message).toContain(why);
  });
});
