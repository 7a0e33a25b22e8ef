/**
 * @cairn/remote — repositories off the machine: Backends for remote storage (SFTP, …) chosen by the
 * scheme of a repository location, and the retry decorator every remote backend is wrapped in.
 * The SSH library loads on a backend's first connection, not on import.
 */
export { parseBackendUrl } from './backend-url.js';
export type { BackendUrl } from './backend-url.js';
export { retryOptionsFromEnv, withRetries } from './retry-backend.js';
export type { RetryEvent, RetryOptions } from './retry-backend.js';
export { createSftpBackend } from './sftp/sftp-backend.js';
export type { SftpBackend, SftpBackendOptions } from './sftp/sftp-backend.js';
export { parseSftpLocation } from './sftp/sftp-location.js';
export type { SftpLocation } from './sftp/sftp-location.js';
