import { userInfo } from 'node:os';
import { CairnError } from '@cairn/core';

/** Where an sftp repository is: the server, the login name, and the repository folder on it. */
export interface SftpLocation {
  /** The login name: from the location, else this process's user (as ssh does). */
  readonly user: string;
  /** The host name or address (an IPv6 address without its brackets). */
  readonly host: string;
  readonly port: number;
  /** The repository folder: absolute, or relative to the login folder. */
  readonly path: string;
  /** The location as the user wrote it, with its `sftp:` scheme, for messages. */
  readonly display: string;
}

/**
 * Reads what follows `sftp:` in a repository location, in the forms restic accepts:
 * `[user@]host:/abs/path`, `[user@]host:rel/path` (relative to the login folder) and
 * `//[user@]host[:port]/path`, where one slash after the host separates it from the path
 * (`//user@host:2222//srv/repo` is the absolute /srv/repo). IPv6 hosts go in brackets. ERR_USAGE
 * naming the location when a part is missing or malformed.
 */
export function parseSftpLocation(spec: string): SftpLocation {
  const display = `sftp:${spec}`;
  const bad = (why: string): CairnError =>
    new CairnError('ERR_USAGE', `repository location "${display}": ${why}`, {
      hint: 'write it as sftp:user@host:/path, sftp:user@host:relative/path or sftp://user@host:port//absolute/path',
    });
  let userHost: string;
  let portText: string | undefined;
  let path: string;
  if (spec.startsWith('//')) {
    const rest = spec.slice(2);
    const slash = rest.indexOf('/');
    if (slash < 0 || slash === rest.length - 1) throw bad('it names no folder after the host');
    const authority = rest.slice(0, slash);
    path = rest.slice(slash + 1);
    const at = authority.lastIndexOf('@');
    const hostPort = authority.slice(at + 1);
    const portMatch = /^(\[[^\]]*\]|[^:]*)(?::(\d*))?$/.exec(hostPort);
    if (portMatch === null) throw bad(`"${hostPort}" is not a host[:port]`);
    userHost = authority.slice(0, at + 1) + (portMatch[1] ?? '');
    portText = portMatch[2];
  } else {
    const bracket = /^((?:[^@]*@)?\[[^\]]*\]):(.*)$/s.exec(spec);
    const colon = spec.indexOf(':');
    if (bracket !== null) {
      userHost = bracket[1] ?? '';
      path = bracket[2] ?? '';
    } else if (colon >= 0) {
      userHost = spec.slice(0, colon);
      path = spec.slice(colon + 1);
    } else {
      throw bad('it names no folder: put ":" and the path after the host');
    }
  }
  const at = userHost.lastIndexOf('@');
  const user = at >= 0 ? decodeURIComponent(userHost.slice(0, at)) : userInfo().username;
  let host = userHost.slice(at + 1);
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  if (host === '' || /[\s/]/.test(host)) throw bad(`"${host}" is not a host name`);
  if (user === '') throw bad('the user name before "@" is empty');
  if (path === '') throw bad('it names no folder after the host');
  if (path.startsWith('~')) throw bad('a path starting with "~" is not supported: a relative path is already relative to the login folder');
  const port = portText === undefined || portText === '' ? 22 : Number(portText);
  if (!Number.isSafeInteger(port) || port < 1 || port > 65535) throw bad(`port ${JSON.stringify(portText)} is not a port number`);
  return { user, host, port, path: normalize(path), display };
}

/** `path` without "." parts, doubled or trailing slashes (".." stays: the server resolves it). */
function normalize(path: string): string {
  const absolute = path.startsWith('/');
  const parts = path.split('/').filter((part) => part !== '' && part !== '.');
  const joined = parts.join('/');
  return absolute ? `/${joined}` : joined === '' ? '.' : joined;
}
