/**
 * @cairn/remote — repositories off the machine: Backends for remote storage, chosen by the scheme
 * of a repository location (`sftp:` over SSH, `s3:` for S3-compatible object stores, `rest:` for
 * `cairn serve`, `rclone:` for every rclone remote), the retry decorator every remote backend is
 * wrapped in, the HTTP server of `cairn serve` (restic's REST protocol with cairn's write-once
 * rule), and a local cache that keeps what every command reads again, so a no-op backup downloads
 * almost nothing. The SSH library loads on an sftp backend's first connection, not on import.
 */
export { parseBackendUrl } from './backend-url.js';
export type { BackendUrl } from './backend-url.js';
export { retryOptionsFromEnv, withRetries } from './retry-backend.js';
export type { RetryEvent, RetryOptions } from './retry-backend.js';
export { createSftpBackend } from './sftp/sftp-backend.js';
export type { SftpBackend, SftpBackendOptions } from './sftp/sftp-backend.js';
export { parseSftpLocation } from './sftp/sftp-location.js';
export type { SftpLocation } from './sftp/sftp-location.js';
export { createS3Backend } from './s3-backend.js';
export type { S3BackendOptions } from './s3-backend.js';
export { parseS3Location } from './s3-location.js';
export type { S3Location } from './s3-location.js';
export { withCache } from './with-cache.js';
/** Where cairn keeps caches (from @cairn/core, kept here for the packages that import it from here). */
export { defaultCacheDir } from '@cairn/core';
export type { CacheOptions } from './with-cache.js';
export { createRestBackend, isAppendOnly } from './rest-backend.js';
export type { RestBackendOptions } from './rest-backend.js';
export { createRcloneBackend } from './rclone-backend.js';
export type { RcloneBackendOptions } from './rclone-backend.js';
export { createRestHandler } from './rest-server.js';
export type { RestServerOptions } from './rest-server.js';
export { parseHtpasswd } from './htpasswd.js';
export type { PasswordCheck } from './htpasswd.js';
