import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import * as pack from '@cairn/pack';
import { loadNativeZstd } from '../src/zstd-native.js';

const cache = createRequire(import.meta.url).cache;
const napiLoaded = (): boolean => Object.keys(cache).some((path) => path.includes('zstd-napi'));

describe('@cairn/pack', () => {
  it('does not load the native addon on import, only on loadNativeZstd()', async () => {
    expect(typeof pack.createPackBuilder).toBe('function');
    expect(napiLoaded()).toBe(false);
    await loadNativeZstd();
    expect(napiLoaded()).toBe(true);
  });
});
