/**
 * @cairn/transport — where cairn's bytes live and come from: repository backends (a local
 * folder, memory), the local filesystem as a backup Source, and a local folder as a
 * restore Target. Each implements an interface of @cairn/core.
 */
export { createLocalBackend } from './local-backend.js';
export { createMemoryBackend } from './memory-backend.js';
export { createLocalSource } from './local-source.js';
export { createLocalTarget } from './local-target.js';
