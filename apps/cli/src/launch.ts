#!/usr/bin/env node
/**
 * The installed `cairn`: runs the bundle (cairn-main.cjs beside this file) with the compiled code
 * of the previous run of the same command (code-cache.ts). The bundle, a script, loads the few ES
 * modules it needs through this module's `import` (importModule in @cairn/core).
 */
import { fileURLToPath } from 'node:url';
import { IMPORT_HOOK } from '@cairn/core';
import { codeCacheFile, runWithCodeCache } from './code-cache.js';

(globalThis as { [IMPORT_HOOK]?: (specifier: string) => Promise<unknown> })[IMPORT_HOOK] = (specifier) => import(specifier);
// msgpackr's native string decoder (msgpackr-extract) takes 5 ms to load at every start and speeds
// up nothing cairn reads often: trees and index files go through cairn's own decoders, snapshots
// and pack headers are small (a no-op backup 0.48 -> 0.465 s, `check` the same). Set by the user, it stays.
process.env['MSGPACKR_NATIVE_ACCELERATION_DISABLED'] ??= 'true';
const bundle = fileURLToPath(new URL('./cairn-main.cjs', import.meta.url));
runWithCodeCache(bundle, codeCacheFile(bundle, process.argv.slice(2)));
