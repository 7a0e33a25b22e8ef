/**
 * @cairn/remote — repositories off the machine: Backends for remote storage, chosen by the scheme
 * of a repository location (`rest:` for `cairn serve`, `rclone:` for every rclone remote), and the
 * HTTP server of `cairn serve` (restic's REST protocol with cairn's write-once rule).
 */
export { parseBackendUrl } from './backend-url.js';
export type { BackendUrl } from './backend-url.js';
export { createRestBackend, isAppendOnly } from './rest-backend.js';
export type { RestBackendOptions } from './rest-backend.js';
export { createRcloneBackend } from './rclone-backend.js';
export type { RcloneBackendOptions } from './rclone-backend.js';
export { createRestHandler } from './rest-server.js';
export type { RestServerOptions } from './rest-server.js';
export { parseHtpasswd } from './htpasswd.js';
export type { PasswordCheck } from './htpasswd.js';
