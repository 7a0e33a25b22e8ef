const SECRET_PARAM = /token|secret|password|passwd|pwd|auth|key|sig|signature|credential/i;
const WEB_SCHEMES = new Set(['http', 'https', 'ftp', 'ftps', 'svn', 'git']);

/**
 * A remote URL without the credentials it may carry: `user:password@` and tokens in the user
 * part of web URLs (https://TOKEN@host), passwords of ssh URLs (the user name stays: git@host),
 * and query parameters named like secrets (?private_token=…). Paths and scp-like URLs without
 * a password are returned unchanged.
 */
export function stripCredentials(url: string): string {
  if (typeof url !== 'string') throw new TypeError(`stripCredentials: url must be a string, got ${typeof url}`);
  const match = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\/([^/?#]*)(.*)$/s.exec(url);
  if (match === null) return stripScpLike(url);
  const [, scheme = '', authority = '', rest = ''] = match;
  const at = authority.lastIndexOf('@');
  let host = authority;
  if (at >= 0) {
    const userInfo = authority.slice(0, at);
    host = authority.slice(at + 1);
    const base = scheme.toLowerCase().split('+').pop() ?? '';
    if (!WEB_SCHEMES.has(base) || scheme.includes('+ssh')) {
      // ssh-like: the user name is part of the address; only a password is a secret.
      const user = userInfo.split(':')[0] ?? '';
      if (user !== '') host = `${user}@${host}`;
    }
  }
  return `${scheme}://${host}${stripQuery(rest)}`;
}

/** user:password@host:path (scp-like) loses the password; user@host:path is left alone. */
function stripScpLike(url: string): string {
  const match = /^([^@/:]+):([^@/]*)@([^:/]+:.*)$/s.exec(url);
  if (match === null) return url;
  return `${match[1] ?? ''}@${match[3] ?? ''}`;
}

function stripQuery(rest: string): string {
  const q = rest.indexOf('?');
  if (q < 0) return rest;
  const hash = rest.indexOf('#', q);
  const path = rest.slice(0, q);
  const query = rest.slice(q + 1, hash < 0 ? undefined : hash);
  const fragment = hash < 0 ? '' : rest.slice(hash);
  const kept = query.split('&').filter((pair) => pair !== '' && !SECRET_PARAM.test(pair.split('=')[0] ?? ''));
  return `${path}${kept.length > 0 ? `?${kept.join('&')}` : ''}${fragment}`;
}

/** A rewrite of remote URLs in the manner of git's `url.<to>.insteadOf = <from>`: a URL that starts with `from` starts with `to` instead. */
export interface RemoteRewrite {
  readonly from: string;
  readonly to: string;
}

/**
 * `url` with the longest matching rewrite applied (as git picks among insteadOf rules); a URL
 * that carries credentials is matched without them too. Unchanged when no rewrite matches.
 */
export function rewriteUrl(url: string, rewrites: readonly RemoteRewrite[] = []): string {
  const stripped = stripCredentials(url);
  let best: { rewrite: RemoteRewrite; base: string } | null = null;
  for (const rewrite of rewrites) {
    const base = url.startsWith(rewrite.from) ? url : stripped.startsWith(rewrite.from) ? stripped : null;
    if (base !== null && rewrite.from !== '' && (best === null || rewrite.from.length > best.rewrite.from.length)) best = { rewrite, base };
  }
  return best === null ? url : best.rewrite.to + best.base.slice(best.rewrite.from.length);
}
