// The whole-file worker started from its TypeScript source, for runs of src/ (the tests, through
// the `@cairn/source` export condition): tsx compiles it and what it imports as they load. A build
// never uses this file: compiled, the thread starts dist/whole-file-worker.js.
import { register } from 'tsx/esm/api';

register();
await import('./whole-file-worker.ts');
