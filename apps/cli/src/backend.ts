import { CairnError } from '@cairn/core';
import type { Backend } from '@cairn/core';
import { createSftpBackend, parseBackendUrl, retryOptionsFromEnv, withRetries } from '@cairn/remote';
import { createLocalBackend } from '@cairn/transport';

/**
 * The Backend a repository location names (`--repo`, CAIRN_REPO): a local folder, or a remote
 * repository by its scheme (`sftp:`, `s3:`, `rclone:`, `rest:`; docs in the README).
 */
export function openBackend(location: string): Backend {
  const url = parseBackendUrl(location);
  switch (url.kind) {
    case 'local':
      return createLocalBackend(url.path);
    case 'sftp':
      return withRetries(createSftpBackend(url.spec), retryOptionsFromEnv());
    default:
      throw new CairnError('ERR_UNSUPPORTED', `repository location "${location}": ${url.kind} repositories are not supported by this build`);
  }
}
