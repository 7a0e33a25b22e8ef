import { CairnError } from '@cairn/core';

/** A repository location, parsed: a local folder, or one of the remote kinds by its scheme. */
export type BackendUrl =
  | { readonly kind: 'local'; readonly path: string }
  | { readonly kind: 'sftp'; readonly spec: string }
  | { readonly kind: 's3'; readonly spec: string }
  | { readonly kind: 'rclone'; readonly spec: string }
  | { readonly kind: 'rest'; readonly spec: string };

const SCHEMES = ['local', 'sftp', 's3', 'rclone', 'rest'] as const;

/**
 * Parses a repository location as restic does: `local:PATH`, `sftp:…`, `s3:…`, `rclone:…` and
 * `rest:…` name their kind; anything else is a local folder path. `spec` is what follows the
 * scheme's colon. An empty spec is ERR_USAGE naming the location.
 */
export function parseBackendUrl(location: string): BackendUrl {
  const colon = location.indexOf(':');
  const scheme = colon > 0 ? location.slice(0, colon) : '';
  const known = (SCHEMES as readonly string[]).includes(scheme) ? (scheme as (typeof SCHEMES)[number]) : undefined;
  if (known === undefined) return { kind: 'local', path: location };
  const spec = location.slice(colon + 1);
  if (spec === '') throw new CairnError('ERR_USAGE', `repository location "${location}" names no ${known} repository after "${known}:"`);
  return known === 'local' ? { kind: 'local', path: spec } : { kind: known, spec };
}
