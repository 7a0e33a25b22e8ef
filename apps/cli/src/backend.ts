import { CairnError } from '@cairn/core';
import type { Backend } from '@cairn/core';
import { readFileSync } from 'node:fs';
import {
  createRcloneBackend, createRestBackend, createS3Backend, createSftpBackend, defaultCacheDir, isAppendOnly, parseBackendUrl,
  retryOptionsFromEnv, withCache, withRetries,
} from '@cairn/remote';
import { createLocalBackend } from '@cairn/transport';
import { warn } from './output.js';

/** A remote backend with the local cache of what every command reads again ($XDG_CACHE_HOME/cairn/<repository id>). */
function cached(backend: Backend): Backend {
  return withCache(backend, { dir: defaultCacheDir() });
}

/**
 * A remote backend whose operations are tried again after transient failures (CAIRN_RETRY_ATTEMPTS,
 * CAIRN_RETRY_DELAY_MS), each retry a warning: `<location>: <operation> failed (<why>); trying again in 1.2 s (try 2 of 6)`.
 */
function retrying(backend: Backend): Backend {
  return withRetries(backend, {
    ...retryOptionsFromEnv(),
    onRetry: ({ operation, attempt, attempts, delayMs, error }) => {
      const why = error.message.startsWith(`${backend.location}: `) ? error.message.slice(backend.location.length + 2) : error.message;
      warn(`${backend.location}: ${operation} failed (${why}); trying again in ${(delayMs / 1000).toFixed(1)} s (try ${attempt + 1} of ${attempts})`, { code: error.code });
    },
  });
}

/**
 * The Backend a repository location names (`--repo`, CAIRN_REPO): a local folder, or a remote
 * repository by its scheme (`sftp:`, `s3:`, `rclone:`, `rest:`; docs in the README). Every remote
 * one is tried again after transient failures and read through the local cache.
 */
export function openBackend(location: string): Backend {
  const url = parseBackendUrl(location);
  switch (url.kind) {
    case 'local':
      return createLocalBackend(url.path);
    case 'sftp':
      return cached(retrying(createSftpBackend(url.spec)));
    case 's3':
      return cached(retrying(createS3Backend(url.spec)));
    case 'rest':
      return cached(retrying(createRestBackend(url.spec, restOptions())));
    case 'rclone':
      return cached(retrying(createRcloneBackend(url.spec)));
  }
}

/** A rest: repository's credentials and CA from the environment (CAIRN_REST_USER, CAIRN_REST_PASSWORD, CAIRN_REST_CA: a PEM file). */
function restOptions(): { user?: string; password?: string; ca?: Buffer } {
  const env = process.env;
  const caFile = env['CAIRN_REST_CA'];
  let ca: Buffer | undefined;
  if (caFile !== undefined && caFile !== '') {
    try {
      ca = readFileSync(caFile);
    } catch (error) {
      throw new CairnError('ERR_USAGE', `CAIRN_REST_CA: cannot read the certificate file ${caFile}`, { cause: error });
    }
  }
  return {
    ...(env['CAIRN_REST_USER'] ? { user: env['CAIRN_REST_USER'] } : {}),
    ...(env['CAIRN_REST_PASSWORD'] !== undefined ? { password: env['CAIRN_REST_PASSWORD'] } : {}),
    ...(ca !== undefined ? { ca } : {}),
  };
}

/**
 * Refuses to start `command` (forget, prune: they delete) on a repository served append-only,
 * before it changes anything: such a server refuses every delete.
 */
export async function refuseAppendOnly(backend: Backend, command: string): Promise<void> {
  if (!(await isAppendOnly(backend))) return;
  throw new CairnError('ERR_PERMISSION', `${backend.location} is served append-only: \`cairn ${command}\` deletes, and the server refuses every delete`, {
    hint: `run \`cairn ${command}\` against the repository directly, on the machine that holds it (cairn --repo <folder> ${command})`,
  });
}
