import { describe, expect, it } from 'vitest';
import { createMemoryBackend } from '../src/memory-backend.js';
import { backendContract } from './backend-contract.js';

backendContract('memory', async () => {
  const backend = createMemoryBackend();
  await backend.create();
  return backend;
});

describe('createMemoryBackend', () => {
  it('uses the location it is given, and rejects an empty one', () => {
    expect(createMemoryBackend('memory:test').location).toBe('memory:test');
    expect(() => createMemoryBackend('')).toThrow(TypeError);
  });
});
