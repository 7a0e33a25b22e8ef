export { parseBackendUrl } from './backend-url.js';
export type { BackendUrl } from './backend-url.js';
