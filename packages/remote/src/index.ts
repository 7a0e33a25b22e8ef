/**
 * @cairn/remote — repositories off the machine: Backends for remote storage (S3-compatible
 * object stores), the parser of repository locations, and a local cache that keeps what every
 * command reads again, so a no-op backup downloads almost nothing.
 */
export { parseBackendUrl } from './backend-url.js';
export type { BackendUrl } from './backend-url.js';
export { createS3Backend } from './s3-backend.js';
export type { S3BackendOptions } from './s3-backend.js';
export { parseS3Location } from './s3-location.js';
export type { S3Location } from './s3-location.js';
export { defaultCacheDir, withCache } from './with-cache.js';
export type { CacheOptions } from './with-cache.js';
