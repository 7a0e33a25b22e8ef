import { CairnError, isCairnError } from '@cairn/core';
import type { Backend, FileInfo, FileType } from '@cairn/core';

/** How often and how long `withRetries` tries an operation that fails with ERR_TRANSIENT. */
export interface RetryOptions {
  /** Tries in all, the first included (default 6). */
  readonly attempts?: number;
  /** The wait before the second try, in ms; each later wait doubles it (default 500). */
  readonly baseDelayMs?: number;
  /** The longest single wait, in ms (default 10 000). */
  readonly maxDelayMs?: number;
  /** No try starts after this many ms since the first one (default 60 000). */
  readonly maxElapsedMs?: number;
  /** Called before each wait: what failed, the try that failed (1-based) and the wait in ms. */
  readonly onRetry?: (event: RetryEvent) => void;
  /** Random numbers in [0, 1) for the jitter (default Math.random). */
  readonly random?: () => number;
}

/** One retry about to happen, for progress reports. */
export interface RetryEvent {
  readonly operation: string;
  /** The try that failed, 1-based. */
  readonly attempt: number;
  /** Tries in all. */
  readonly attempts: number;
  readonly delayMs: number;
  readonly error: CairnError;
}

const DEFAULTS = { attempts: 6, baseDelayMs: 500, maxDelayMs: 10_000, maxElapsedMs: 60_000 };

/**
 * The retry options the environment sets for the CLI: CAIRN_RETRY_ATTEMPTS (tries in all) and
 * CAIRN_RETRY_DELAY_MS (the first wait). ERR_USAGE naming the variable for a value that is not a
 * whole number (at least 1 try, a delay of at least 0).
 */
export function retryOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): RetryOptions {
  const read = (name: string, min: number): number | undefined => {
    const text = env[name];
    if (text === undefined || text === '') return undefined;
    const value = Number(text);
    if (!Number.isSafeInteger(value) || value < min) {
      throw new CairnError('ERR_USAGE', `${name}=${JSON.stringify(text)} is not a whole number of at least ${min}`);
    }
    return value;
  };
  const attempts = read('CAIRN_RETRY_ATTEMPTS', 1);
  const baseDelayMs = read('CAIRN_RETRY_DELAY_MS', 0);
  return {
    ...(attempts === undefined ? {} : { attempts }),
    ...(baseDelayMs === undefined ? {} : { baseDelayMs, maxDelayMs: Math.max(baseDelayMs, DEFAULTS.maxDelayMs) }),
  };
}

/**
 * Wraps a (remote) backend so that every operation failing with ERR_TRANSIENT is tried again after
 * an exponentially growing wait with jitter (half to all of base·2ⁿ, at most maxDelayMs), within
 * `attempts` tries and `maxElapsedMs`. Every other error (ERR_EXISTS, ERR_NOT_FOUND, ERR_PERMISSION,
 * ERR_INTEGRITY, TypeError, …) passes through at once. After the last try it throws ERR_TRANSIENT
 * naming the operation, the file and the tries. Writes may be retried because backend writes are
 * idempotent (the same bytes again succeed); a listing that fails part-way is restarted and yields
 * only names it has not yielded yet. A backend that reconnects on its next call (sftp) recovers from
 * a dropped connection this way. Other members of `backend` (an sftp backend's `close`) are kept.
 */
export function withRetries<B extends Backend>(backend: B, options: RetryOptions = {}): B {
  const attempts = options.attempts ?? DEFAULTS.attempts;
  const baseDelayMs = options.baseDelayMs ?? DEFAULTS.baseDelayMs;
  const maxDelayMs = options.maxDelayMs ?? DEFAULTS.maxDelayMs;
  const maxElapsedMs = options.maxElapsedMs ?? DEFAULTS.maxElapsedMs;
  const random = options.random ?? Math.random;
  if (!Number.isSafeInteger(attempts) || attempts < 1) throw new RangeError(`retry attempts must be a whole number of at least 1, got ${attempts}`);
  for (const [name, value] of Object.entries({ baseDelayMs, maxDelayMs, maxElapsedMs })) {
    if (typeof value !== 'number' || !(value >= 0)) throw new RangeError(`retry ${name} must be a number of at least 0, got ${value}`);
  }

  const delayBefore = (retry: number): number => {
    const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** (retry - 1));
    return Math.round(ceiling / 2 + (random() * ceiling) / 2);
  };

  /** Runs `attempt` until it succeeds, fails with something other than ERR_TRANSIENT, or the tries or time run out. */
  async function retrying<T>(operation: string, attempt: () => Promise<T>): Promise<T> {
    const started = Date.now();
    for (let tried = 1; ; tried++) {
      try {
        return await attempt();
      } catch (error) {
        if (!isCairnError(error, 'ERR_TRANSIENT')) throw error;
        const delayMs = delayBefore(tried);
        const elapsed = Date.now() - started;
        if (tried >= attempts || elapsed + delayMs > maxElapsedMs) throw exhausted(operation, tried, elapsed, error);
        options.onRetry?.({ operation, attempt: tried, attempts, delayMs, error });
        await sleep(delayMs);
      }
    }
  }

  const exhausted = (operation: string, tried: number, elapsedMs: number, last: CairnError): CairnError =>
    new CairnError(
      'ERR_TRANSIENT',
      `${backend.location}: ${operation} failed after ${tried} ${tried === 1 ? 'try' : 'tries'} in ${(elapsedMs / 1000).toFixed(1)} s: ${withoutPrefix(last.message, `${backend.location}: `)}`,
      { hint: last.hint ?? 'check the network and the server, then run the command again (what was written stays valid)', cause: last },
    );

  // "read the config", "write data file 3fa2…": the config is one file of its kind, named config.
  const what = (verb: string, type: FileType, name: string): string => (type === 'config' ? `${verb} the config` : `${verb} ${type} file ${name}`);

  const wrapped: Backend = {
    location: backend.location,
    create: () => retrying(`create the repository folders`, () => backend.create()),
    write: (type, name, data, hint) => retrying(what('write', type, name), () => backend.write(type, name, data, hint)),
    read: (type, name, range, hint) => retrying(
      range === undefined ? what('read', type, name) : `${what('read', type, name)} (${range.length} bytes at ${range.offset})`,
      () => backend.read(type, name, range, hint),
    ),
    stat: (type, name) => retrying(what('stat', type, name), () => backend.stat(type, name)),
    list: (type) => listRetrying(type),
    remove: (type, name) => retrying(what('remove', type, name), () => backend.remove(type, name)),
  };

  async function* listRetrying(type: FileType): AsyncGenerator<FileInfo> {
    const yielded = new Set<string>();
    const started = Date.now();
    for (let tried = 1; ; tried++) {
      try {
        for await (const file of backend.list(type)) {
          if (yielded.has(file.name)) continue;
          yielded.add(file.name);
          yield file;
        }
        return;
      } catch (error) {
        if (!isCairnError(error, 'ERR_TRANSIENT')) throw error;
        const delayMs = delayBefore(tried);
        const elapsed = Date.now() - started;
        if (tried >= attempts || elapsed + delayMs > maxElapsedMs) throw exhausted(`list ${type} files`, tried, elapsed, error);
        options.onRetry?.({ operation: `list ${type} files`, attempt: tried, attempts, delayMs, error });
        await sleep(delayMs);
      }
    }
  }

  // createWriter is not passed on: its appends would go untried; packs then go through `write`.
  const { replaceConfig, space, removeStaleTemporaries, appendOnly, createWriter: _notRetried, ...rest } = backend;
  return {
    ...rest,
    ...wrapped,
    ...(replaceConfig === undefined ? {} : {
      replaceConfig: (data: Uint8Array) => retrying('replace the config file', () => replaceConfig.call(backend, data)),
    }),
    ...(space === undefined ? {} : { space: () => retrying('read the free space', () => space.call(backend)) }),
    ...(appendOnly === undefined ? {} : { appendOnly: () => retrying('ask whether the server is append-only', () => appendOnly.call(backend)) }),
    ...(removeStaleTemporaries === undefined ? {} : {
      removeStaleTemporaries: () => retrying('remove stale temporary files', () => removeStaleTemporaries.call(backend)),
    }),
  } as B;
}

const withoutPrefix = (text: string, prefix: string): string => (text.startsWith(prefix) ? text.slice(prefix.length) : text);

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
