import { describe, expect, it } from 'vitest';
import { CairnError, isCairnError } from '@cairn/core';
import type { Backend, ErrorCode, FileInfo } from '@cairn/core';
import { retryOptionsFromEnv, withRetries } from '@cairn/remote';
import type { RetryEvent } from '@cairn/remote';
import { createMemoryBackend } from '@cairn/transport';
import { backendContract, hexName, listAll, rejection } from '../../transport/test/backend-contract.js';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

/**
 * A real memory backend whose operations fail with `code` the next `failures` times they are called
 * (each call counted in `calls`); `after` runs the real operation first, as when a write landed but
 * its answer was lost.
 */
function flaky(code: ErrorCode, failures: number, options: { after?: boolean } = {}) {
  const inner = createMemoryBackend('memory:flaky');
  const state = { failures, calls: 0 };
  const fail = (): never => {
    throw new CairnError(code, `memory:flaky: simulated ${code}`);
  };
  const gate = async <T>(operation: () => Promise<T>): Promise<T> => {
    state.calls++;
    if (state.failures <= 0) return operation();
    state.failures--;
    if (options.after) await operation().catch(() => undefined);
    return fail();
  };
  const backend: Backend = {
    location: inner.location,
    create: () => gate(() => inner.create()),
    write: (type, name, data) => gate(() => inner.write(type, name, data)),
    read: (type, name, range) => gate(() => inner.read(type, name, range)),
    stat: (type, name) => gate(() => inner.stat(type, name)),
    remove: (type, name) => gate(() => inner.remove(type, name)),
    async *list(type) {
      // Fails after yielding the first file, so a retry must not yield it twice.
      let yielded = 0;
      for await (const file of inner.list(type)) {
        if (yielded === 1 && state.failures > 0) {
          state.failures--;
          fail();
        }
        yielded++;
        yield file;
      }
    },
  };
  return { backend, inner, state };
}

const fast = { baseDelayMs: 1, maxDelayMs: 4 };

describe('withRetries', () => {
  backendContract('memory with retries', async () => withRetries(createMemoryBackend(), fast));

  it('tries a transient failure again until it succeeds', async () => {
    const { backend, inner, state } = flaky('ERR_TRANSIENT', 3);
    const events: RetryEvent[] = [];
    const retried = withRetries(backend, { ...fast, attempts: 4, onRetry: (event) => events.push(event) });
    const data = bytes('pack');
    await retried.write('data', hexName(data), data);
    expect(state.calls).toBe(4);
    expect(await inner.read('data', hexName(data))).toEqual(data);
    expect(events.map((e) => [e.operation, e.attempt])).toEqual([1, 2, 3].map((n) => [`write data file ${hexName(data)}`, n]));
  });

  it('gives up after the last try with ERR_TRANSIENT naming the operation, the file and the tries', async () => {
    const { backend, state } = flaky('ERR_TRANSIENT', 10);
    const error = await rejection(withRetries(backend, { ...fast, attempts: 3 }).read('snapshot', 'a'.repeat(64), { offset: 5, length: 7 }), 'ERR_TRANSIENT');
    expect(state.calls).toBe(3);
    expect(error.message).toBe(`memory:flaky: read snapshot file ${'a'.repeat(64)} (7 bytes at 5) failed after 3 tries in ${error.message.match(/in (\d+\.\d) s/)?.[1]} s: simulated ERR_TRANSIENT`);
    expect(isCairnError(error.cause, 'ERR_TRANSIENT')).toBe(true);
  });

  it.each<ErrorCode>(['ERR_EXISTS', 'ERR_NOT_FOUND', 'ERR_PERMISSION', 'ERR_INTEGRITY', 'ERR_NO_SPACE'])('never retries %s', async (code) => {
    const { backend, state } = flaky(code, 1);
    const error = await rejection(withRetries(backend, fast).stat('lock', 'l'), code);
    expect(error.message).toBe(`memory:flaky: simulated ${code}`);
    expect(state.calls).toBe(1);
  });

  it('does not pass createWriter on: a pack then goes through its retried write, not around it', async () => {
    const inner = createMemoryBackend('memory:streams');
    let created = 0;
    const streaming: Backend = { ...inner, location: inner.location, createWriter: async () => { created++; throw new Error('not to be called'); } };
    const wrapped = withRetries(streaming, { ...fast, attempts: 2 });
    expect(wrapped.createWriter).toBeUndefined();
    expect(created).toBe(0);
  });

  it('passes TypeError and RangeError straight through', async () => {
    const retried = withRetries(createMemoryBackend(), fast);
    await expect(retried.write('data', 'nope', bytes('x'))).rejects.toThrow(TypeError);
    await retried.write('lock', 'l', bytes('x'));
    await expect(retried.read('lock', 'l', { offset: -1, length: 1 })).rejects.toThrow(RangeError);
  });

  it('retries a write whose answer was lost: the bytes are there, and the same bytes again succeed', async () => {
    const { backend, inner, state } = flaky('ERR_TRANSIENT', 1, { after: true });
    const data = bytes('landed');
    await withRetries(backend, fast).write('index', hexName(data), data);
    expect(state.calls).toBe(2);
    expect(await listAll(inner, 'index')).toEqual([{ name: hexName(data), size: data.byteLength }]);
  });

  it('restarts a listing that failed part-way without yielding a file twice', async () => {
    const { backend, inner, state } = flaky('ERR_TRANSIENT', 2);
    const names = ['a', 'b', 'c'].map((x) => hexName(bytes(x)));
    for (const [i, name] of names.entries()) await inner.write('data', name, bytes('abc'[i]!));
    const seen: FileInfo[] = [];
    for await (const file of withRetries(backend, fast).list('data')) seen.push(file);
    expect(seen.map((f) => f.name).sort()).toEqual([...names].sort());
    expect(state.failures).toBe(0);
  });

  it('stops when the time is up even with tries left', async () => {
    const { backend, state } = flaky('ERR_TRANSIENT', 100);
    const error = await rejection(withRetries(backend, { attempts: 100, baseDelayMs: 20, maxDelayMs: 20, maxElapsedMs: 50, random: () => 1 }).remove('lock', 'x'), 'ERR_TRANSIENT');
    expect(state.calls).toBeLessThanOrEqual(4);
    expect(error.message).toMatch(/remove lock file x failed after [2-4] tries/);
  });

  it('waits exponentially longer, with jitter between half and all of the step, up to the cap', async () => {
    const waits: number[] = [];
    const { backend } = flaky('ERR_TRANSIENT', 5);
    const jitter = [0, 0.999, 0.5, 0, 0.999];
    await withRetries(backend, { attempts: 6, baseDelayMs: 2, maxDelayMs: 8, random: () => jitter.shift()!, onRetry: (e) => waits.push(e.delayMs) }).stat('lock', 'missing').catch(() => undefined);
    expect(waits).toEqual([1, 4, 6, 4, 8]);
  });

  it('hands the engine\'s file hint through to the backend', async () => {
    const inner = createMemoryBackend();
    const hints: unknown[] = [];
    const watched: Backend = {
      ...inner,
      write: (type, name, data, hint) => { hints.push(hint); return inner.write(type, name, data, hint); },
      read: (type, name, range, hint) => { hints.push(hint); return inner.read(type, name, range, hint); },
    };
    const retried = withRetries(watched, fast);
    const data = bytes('tree pack');
    await retried.write('data', hexName(data), data, { treePack: true });
    await retried.read('data', hexName(data), undefined, { treePack: true });
    expect(hints).toEqual([{ treePack: true }, { treePack: true }]);
  });

  it('keeps the optional operations and other members of the backend', async () => {
    const inner = { ...createMemoryBackend(), replaceConfig: async () => undefined, appendOnly: async () => true, close: async () => 'closed' };
    const retried = withRetries(inner, fast);
    expect(retried.replaceConfig).toBeTypeOf('function');
    expect(await retried.appendOnly!()).toBe(true);
    expect(retried.space).toBeUndefined();
    expect(await retried.close()).toBe('closed');
  });

  it('reads CAIRN_RETRY_ATTEMPTS and CAIRN_RETRY_DELAY_MS, refusing values that are not whole numbers', () => {
    expect(retryOptionsFromEnv({})).toEqual({});
    expect(retryOptionsFromEnv({ CAIRN_RETRY_ATTEMPTS: '2', CAIRN_RETRY_DELAY_MS: '0' })).toEqual({ attempts: 2, baseDelayMs: 0, maxDelayMs: 10_000 });
    expect(() => retryOptionsFromEnv({ CAIRN_RETRY_ATTEMPTS: '0' })).toThrow(/CAIRN_RETRY_ATTEMPTS="0" is not a whole number of at least 1/);
    expect(() => retryOptionsFromEnv({ CAIRN_RETRY_DELAY_MS: 'soon' })).toThrow(/CAIRN_RETRY_DELAY_MS/);
  });
});
