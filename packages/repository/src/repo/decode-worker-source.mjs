// The decode worker (restore, dump) started from its TypeScript source, for runs of src/ (the tests,
// through the `@cairn/source` export condition): tsx compiles the worker and what it imports as
// they load. A build never uses this file: compiled, the pool starts dist/repo/decode-worker.js.
import { register } from 'tsx/esm/api';

register();
export default (await import('./decode-worker.ts')).default;
