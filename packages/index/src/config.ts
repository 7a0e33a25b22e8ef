import { CairnError, isHexId } from '@cairn/core';
import type { CodecName } from '@cairn/core';
import { describeValue } from './describe-value.js';
import { checkFormatVersion, DELTA_FORMAT_VERSION, GROUP_FORMAT_VERSION } from './format-version.js';
import { MAX_DURATION_YEARS, parseCalendarDuration } from './calendar-duration.js';

/** A repository's settings: the file `config`, JSON. */
export interface RepoConfig {
  /**
   * 1, 2 when backups may store delta blobs (`deltas`), 3 when they may also group small blobs
   * (`groups`): a cairn before a version refuses a repository of that version.
   */
  readonly version: 1 | 2 | 3;
  /** 64 hex digits, random, naming the repository. */
  readonly id: string;
  /** ISO 8601 time of `init`. */
  readonly createdAt: string;
  readonly chunker: { readonly algorithm: 'fastcdc'; readonly min: number; readonly avg: number; readonly max: number };
  readonly hash: 'sha256';
  readonly compression: { readonly codec: CodecName; readonly level: number };
  /** 'none', or the AEAD cipher every stored file is encrypted with (docs/FORMAT.md, "Encryption"). */
  readonly encryption: 'none' | 'aes-256-gcm' | 'chacha20-poly1305';
  /** A pack is closed once it holds at least this many bytes. */
  readonly packSize: number;
  /** Optional (absent when unset): the most the repository may hold; backups keep it under this. */
  readonly maxSize?: ConfigMaxSize;
  /** Optional (absent when unset): the retention policy `forget` and the quota apply when given none. */
  readonly retention?: ConfigRetention;
  /** Optional, version 2 only: true when backups store a changed chunk as a delta against the parent's (docs/FORMAT.md, "Delta blobs"). */
  readonly deltas?: boolean;
  /** Optional, version 3 only: true when backups store small data blobs in groups sharing one zstd frame (docs/FORMAT.md, "Grouped small blobs"). */
  readonly groups?: boolean;
}

/** A size limit: bytes, or a percentage of the filesystem holding the repository. */
export type ConfigMaxSize = { readonly bytes: number } | { readonly percent: number };

/** A count of a retention rule: snapshots, or all of them. */
export type RetentionCount = number | 'unlimited';

/** A stored retention policy, as the `forget --keep-*` flags give it ("within" is a duration such as "1y6m"). */
export interface ConfigRetention {
  readonly last?: RetentionCount;
  readonly hourly?: RetentionCount;
  readonly daily?: RetentionCount;
  readonly weekly?: RetentionCount;
  readonly monthly?: RetentionCount;
  readonly yearly?: RetentionCount;
  readonly within?: string;
  readonly tags?: readonly (readonly string[])[];
}

const KiB = 1024;
const MiB = 1024 * KiB;

/**
 * The ranges a config's numbers must lie in (docs/FORMAT.md, "config"): what the writers
 * can honour. The chunker's are the limits of the fastcdc crate (breaking one panics inside
 * WASM), the level is zstd's range the WASM reader can read, and a pack of up to 1 GiB
 * (plus its last blob) keeps every offset within 32 bits.
 */
export const CONFIG_LIMITS = {
  packSize: { min: 16 * KiB, max: 1024 * MiB },
  compressionLevel: { min: 1, max: 19 },
  chunker: { min: { min: 64, max: 64 * MiB }, avg: { min: 256, max: 256 * MiB }, max: { min: 1024, max: 1024 * MiB } },
} as const;

const KEYS = ['version', 'id', 'createdAt', 'chunker', 'hash', 'compression', 'encryption', 'packSize', 'maxSize', 'retention', 'deltas', 'groups'];
const COUNT_KEYS = ['last', 'hourly', 'daily', 'weekly', 'monthly', 'yearly'] as const;
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
  if (isObject(value) && Object.hasOwn(value, 'version') && checkFormatVersion(value['version'], where) === null) {
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
  const count = (object: Record<string, unknown>, key: string, path: string, min: number, max: number, also = ''): number => {
    const found = field(object, key, path);
    return Number.isSafeInteger(found) && (found as number) >= min && (found as number) <= max
      ? (found as number)
      : expected(path, found, `an integer from ${min} to ${max}${also}`);
  };
  const section = (key: string, keys: readonly string[]): Record<string, unknown> => {
    const found = field(value, key);
    if (!isObject(found)) return expected(key, found, 'an object');
    refuseUnknownKeys(found, keys, `${key}.`, fail);
    return found;
  };

  const version = field(value, 'version');
  if (version !== 1 && version !== DELTA_FORMAT_VERSION && version !== GROUP_FORMAT_VERSION) expected('version', version, `1, ${DELTA_FORMAT_VERSION} or ${GROUP_FORMAT_VERSION}`);
  // An encrypted repository may not even have the other fields in the clear: name it first.
  const encryption = known('encryption', field(value, 'encryption'), ['none', 'aes-256-gcm', 'chacha20-poly1305'] as const);
  refuseUnknownKeys(value, KEYS, '', fail);
  const id = field(value, 'id');
  if (typeof id !== 'string' || !isHexId(id)) expected('id', id, '64 lower-case hex digits');
  const createdAt = field(value, 'createdAt');
  if (typeof createdAt !== 'string' || !ISO_8601.test(createdAt) || Number.isNaN(Date.parse(createdAt))) expected('createdAt', createdAt, 'an ISO 8601 time');
  const chunker = section('chunker', ['algorithm', 'min', 'avg', 'max']);
  const algorithm = known('chunker.algorithm', field(chunker, 'algorithm', 'chunker.algorithm'), ['fastcdc'] as const);
  const limits = CONFIG_LIMITS.chunker;
  const min = count(chunker, 'min', 'chunker.min', limits.min.min, limits.min.max);
  const avg = count(chunker, 'avg', 'chunker.avg', Math.max(min, limits.avg.min), limits.avg.max, min > limits.avg.min ? ' (at least chunker.min)' : '');
  const max = count(chunker, 'max', 'chunker.max', Math.max(avg, limits.max.min), limits.max.max, avg > limits.max.min ? ' (at least chunker.avg)' : '');
  const hash = known('hash', field(value, 'hash'), ['sha256'] as const);
  const compression = section('compression', ['codec', 'level']);
  const codec = known<CodecName>('compression.codec', field(compression, 'codec', 'compression.codec'), ['zstd', 'none']);
  const level = count(compression, 'level', 'compression.level', CONFIG_LIMITS.compressionLevel.min, CONFIG_LIMITS.compressionLevel.max);
  const packSize = count(value, 'packSize', 'packSize', CONFIG_LIMITS.packSize.min, CONFIG_LIMITS.packSize.max);
  const maxSize = Object.hasOwn(value, 'maxSize') ? checkMaxSize(value['maxSize'], expected, fail) : undefined;
  const retention = Object.hasOwn(value, 'retention') ? checkRetention(value['retention'], expected, fail) : undefined;
  const deltas = Object.hasOwn(value, 'deltas') ? value['deltas'] : undefined;
  if (deltas !== undefined && typeof deltas !== 'boolean') expected('deltas', deltas, 'true or false');
  if (deltas !== undefined && version === 1) expected('version', version, `${DELTA_FORMAT_VERSION} or more (the config has deltas)`);
  const groups = Object.hasOwn(value, 'groups') ? value['groups'] : undefined;
  if (groups !== undefined && typeof groups !== 'boolean') expected('groups', groups, 'true or false');
  if (groups !== undefined && version !== GROUP_FORMAT_VERSION) expected('version', version, `${GROUP_FORMAT_VERSION} (the config has groups)`);
  return {
    version: version as 1 | 2 | 3,
    id: id as string,
    createdAt: createdAt as string,
    chunker: { algorithm, min, avg, max },
    hash,
    compression: { codec, level },
    encryption,
    packSize,
    ...(maxSize === undefined ? {} : { maxSize }),
    ...(retention === undefined ? {} : { retention }),
    ...(deltas === undefined ? {} : { deltas: deltas as boolean }),
    ...(groups === undefined ? {} : { groups: groups as boolean }),
  };
}

type Expected = (path: string, found: unknown, what: string) => never;

/** `{ "bytes": n }` (n >= 1) or `{ "percent": p }` (0 < p <= 100). */
function checkMaxSize(found: unknown, expected: Expected, fail: Fail): ConfigMaxSize {
  if (!isObject(found)) return expected('maxSize', found, 'an object');
  refuseUnknownKeys(found, ['bytes', 'percent'], 'maxSize.', fail);
  const keys = Object.keys(found);
  if (keys.length !== 1) return expected('maxSize', found, 'exactly one of bytes, percent');
  if (keys[0] === 'bytes') {
    const bytes = found['bytes'];
    return Number.isSafeInteger(bytes) && (bytes as number) >= 1 ? { bytes: bytes as number } : expected('maxSize.bytes', bytes, 'an integer >= 1');
  }
  const percent = found['percent'];
  return typeof percent === 'number' && percent > 0 && percent <= 100 ? { percent } : expected('maxSize.percent', percent, 'a number above 0, at most 100');
}

/** Counts (integers >= 0 or "unlimited"), `within` (a duration such as "1y6m"), `tags` (lists of strings). */
function checkRetention(found: unknown, expected: Expected, fail: Fail): ConfigRetention {
  if (!isObject(found)) return expected('retention', found, 'an object');
  refuseUnknownKeys(found, [...COUNT_KEYS, 'within', 'tags'], 'retention.', fail);
  const out: Record<string, unknown> = {};
  for (const key of COUNT_KEYS) {
    if (!Object.hasOwn(found, key)) continue;
    const n = found[key];
    if (n !== 'unlimited' && !(Number.isSafeInteger(n) && (n as number) >= 0)) expected(`retention.${key}`, n, 'an integer >= 0 or "unlimited"');
    out[key] = n;
  }
  if (Object.hasOwn(found, 'within')) {
    const within = found['within'];
    if (typeof within !== 'string' || !isDuration(within)) expected('retention.within', within, `a duration such as "1y6m" or "36h" (at most ${MAX_DURATION_YEARS} years)`);
    out['within'] = within;
  }
  if (Object.hasOwn(found, 'tags')) {
    const tags = found['tags'];
    const lists = Array.isArray(tags) && tags.every((list) => Array.isArray(list) && list.every((tag) => typeof tag === 'string'));
    if (!lists) expected('retention.tags', tags, 'a list of lists of tags');
    out['tags'] = (tags as string[][]).map((list) => [...list]);
  }
  return out as ConfigRetention;
}

/** A key this cairn does not know may change what the repository means: refuse it. */
function refuseUnknownKeys(object: Record<string, unknown>, keys: readonly string[], prefix: string, fail: Fail): void {
  for (const key of Object.keys(object)) {
    if (!keys.includes(key)) fail('ERR_UNSUPPORTED', `setting ${JSON.stringify(prefix + key)} is not known to this cairn`);
  }
}

function isDuration(text: string): boolean {
  try {
    parseCalendarDuration(text);
    return true;
  } catch {
    return false;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
