import { CairnError } from '@cairn/core';
import type { Backend } from '@cairn/core';
import { createS3Backend, defaultCacheDir, parseBackendUrl, withCache } from '@cairn/remote';
import { createLocalBackend } from '@cairn/transport';

/** A remote backend with the local cache of what every command reads again ($XDG_CACHE_HOME/cairn/<repository id>). */
function cached(backend: Backend): Backend {
  return withCache(backend, { dir: defaultCacheDir() });
}

/**
 * The Backend a repository location names (`--repo`, CAIRN_REPO): a local folder, or a remote
 * repository by its scheme (`sftp:`, `s3:`, `rclone:`, `rest:`; docs in the README).
 */
export function openBackend(location: string): Backend {
  const url = parseBackendUrl(location);
  switch (url.kind) {
    case 'local':
      return createLocalBackend(url.path);
    case 's3':
      return cached(createS3Backend(url.spec));
    default:
      throw new CairnError('ERR_UNSUPPORTED', `repository location "${location}": ${url.kind} repositories are not supported by this build`);
  }
}
