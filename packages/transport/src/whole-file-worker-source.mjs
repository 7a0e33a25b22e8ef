// The whole-file writer's thread started from its TypeScript source, for runs of src/ (the
// tests, through the `@cairn/source` export condition): tsx compiles it as it loads. A build never
// uses this file: compiled, the writer starts dist/whole-file-worker.js.
import { register } from 'tsx/esm/api';

register();
await import('./whole-file-worker.ts');
