import { CairnError, isHexId } from '@cairn/core';
import { describeValue } from './describe-value.js';
import { checkFormatVersion, FORMAT_VERSION } from './format-version.js';

/** A repository's settings: the file `config`, JSON. */
export interface RepoConfig {
  readonly version: 1;
  /** 64 hex digits, random, naming the repository. */
  readonly id: string;
  /** ISO 8601 time of `init`. */
  readonly createdAt: string;
  readonly chunker: { readonly algorithm: 'fastcdc'; readonly min: number; readonly avg: number; readonly max: number };
  readonly hash: 'sha256';
  readonly compression: { readonly codec: 'zstd' | 'none'; readonly level: number };
  readonly encryption: 'none';
  /** A pack is closed once it holds at least this many bytes. */
  readonly packSize: number;
}

const KEYS = ['version', 'id', 'createdAt', 'chunker', 'hash', 'compression', 'encryption', 'packSize'];
const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

type Fail = (code: 'ERR_FORMAT' | 'ERR_UNSUPPORTED', message: string) => never;

/** Encodes a config as pretty-printed UTF-8 JSON, keys in format order. TypeError when it would not decode. */
export function encodeConfig(config: RepoConfig): Uint8Array {
  const checked = checkConfig(config, (_code, message) => {
    throw new TypeError(`config ${message}`);
  });
  return new TextEncoder().encode(`${JSON.stringify(checked, null, 2)}\n`);
}

/**
 * Decodes a config file: ERR_FORMAT when it is not a JSON object with every field,
 * ERR_VERSION for a version other than 1, ERR_UNSUPPORTED for an encryption, hash,
 * codec, chunker algorithm or setting this cairn does not know.
 */
export function decodeConfig(bytes: Uint8Array, where: string): RepoConfig {
  if (!(bytes instanceof Uint8Array)) throw new TypeError(`the bytes of ${where} must be a Uint8Array`);
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (error) {
    throw new CairnError('ERR_FORMAT', `${where} is not a readable config: it is not UTF-8 JSON`, { cause: error });
  }
  if (isObject(value) && Object.hasOwn(value, 'version') && !checkFormatVersion(value['version'], where)) {
    throw new CairnError('ERR_FORMAT', `${where}: malformed config: version is ${describeValue(value['version'])}, expected a number`);
  }
  return checkConfig(value, (code, message) => {
    throw new CairnError(code, `${where}: ${code === 'ERR_FORMAT' ? 'malformed config: ' : ''}${message}`, {
      ...(code === 'ERR_UNSUPPORTED' ? { hint: 'upgrade cairn to use this repository' } : {}),
    });
  });
}

/** Checks every field, returning a copy with the keys in format order. */
function checkConfig(value: unknown, fail: Fail): RepoConfig {
  if (!isObject(value)) return fail('ERR_FORMAT', `is ${describeValue(value)}, expected an object`);
  const field = (object: Record<string, unknown>, key: string, path = key): unknown =>
    Object.hasOwn(object, key) ? object[key] : fail('ERR_FORMAT', `${path} is missing`);
  const expected = (path: string, found: unknown, what: string): never => fail('ERR_FORMAT', `${path} is ${describeValue(found)}, expected ${what}`);
  const known = <T extends string>(path: string, found: unknown, values: readonly T[]): T => {
    if (typeof found !== 'string') return expected(path, found, 'a string');
    if (!values.includes(found as T)) return fail('ERR_UNSUPPORTED', `${path} ${JSON.stringify(found)} is not supported (this cairn knows ${values.join(', ')})`);
    return found as T;
  };
  const count = (object: Record<string, unknown>, key: string, path: string, min: number): number => {
    const found = field(object, key, path);
    return Number.isSafeInteger(found) && (found as number) >= min ? (found as number) : expected(path, found, `an integer >= ${min}`);
  };
  const section = (key: string, keys: readonly string[]): Record<string, unknown> => {
    const found = field(value, key);
    if (!isObject(found)) return expected(key, found, 'an object');
    refuseUnknownKeys(found, keys, `${key}.`, fail);
    return found;
  };

  if (field(value, 'version') !== FORMAT_VERSION) expected('version', value['version'], `${FORMAT_VERSION}`);
  // An encrypted repository may not even have the other fields in the clear: name it first.
  const encryption = known('encryption', field(value, 'encryption'), ['none'] as const);
  refuseUnknownKeys(value, KEYS, '', fail);
  const id = field(value, 'id');
  if (typeof id !== 'string' || !isHexId(id)) expected('id', id, '64 lower-case hex digits');
  const createdAt = field(value, 'createdAt');
  if (typeof createdAt !== 'string' || !ISO_8601.test(createdAt) || Number.isNaN(Date.parse(createdAt))) expected('createdAt', createdAt, 'an ISO 8601 time');
  const chunker = section('chunker', ['algorithm', 'min', 'avg', 'max']);
  const algorithm = known('chunker.algorithm', field(chunker, 'algorithm', 'chunker.algorithm'), ['fastcdc'] as const);
  const min = count(chunker, 'min', 'chunker.min', 1);
  const avg = count(chunker, 'avg', 'chunker.avg', min);
  const max = count(chunker, 'max', 'chunker.max', avg);
  const hash = known('hash', field(value, 'hash'), ['sha256'] as const);
  const compression = section('compression', ['codec', 'level']);
  const codec = known('compression.codec', field(compression, 'codec', 'compression.codec'), ['zstd', 'none'] as const);
  const level = field(compression, 'level', 'compression.level');
  if (!Number.isSafeInteger(level)) expected('compression.level', level, 'an integer');
  const packSize = count(value, 'packSize', 'packSize', 1);
  return {
    version: FORMAT_VERSION,
    id: id as string,
    createdAt: createdAt as string,
    chunker: { algorithm, min, avg, max },
    hash,
    compression: { codec, level: level as number },
    encryption,
    packSize,
  };
}

/** A key this cairn does not know may change what the repository means: refuse it. */
function refuseUnknownKeys(object: Record<string, unknown>, keys: readonly string[], prefix: string, fail: Fail): void {
  for (const key of Object.keys(object)) {
    if (!keys.includes(key)) fail('ERR_UNSUPPORTED', `setting ${JSON.stringify(prefix + key)} is not known to this cairn`);
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
