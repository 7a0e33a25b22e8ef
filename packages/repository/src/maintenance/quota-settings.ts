import { CairnError, formatBytes } from '@cairn/core';
import { encodeConfig } from '@cairn/index';
import type { ConfigMaxSize, ConfigRetention, RepoConfig, RetentionCount } from '@cairn/index';
import { formatCalendarDuration, parseCalendarDuration } from '../repo/durations.js';
import type { RetentionPolicy } from './retention.js';
import type { Repository } from '../repo/repository.js';

const UNITS: Readonly<Record<string, number>> = { '': 1, B: 1, K: 2 ** 10, M: 2 ** 20, G: 2 ** 30, T: 2 ** 40 };

/**
 * Parses a repository size limit: bytes ("1048576"), a size with a binary unit ("500M", "2G",
 * "1.5T", "64KiB") or a percentage of the filesystem holding the repository ("80%").
 * RangeError naming the text otherwise.
 */
export function parseMaxSize(text: string): ConfigMaxSize {
  const bad = (why: string): RangeError => new RangeError(`not a size limit: ${JSON.stringify(text)} (${why})`);
  if (typeof text !== 'string') throw bad('want a size such as 500M, 2G or 80%');
  const percent = /^(\d+(?:\.\d+)?)%$/.exec(text.trim());
  if (percent !== null) {
    const value = Number(percent[1]);
    if (!(value > 0 && value <= 100)) throw bad('a percentage must be above 0 and at most 100');
    return { percent: value };
  }
  const size = /^(\d+(?:\.\d+)?)\s*([KMGT]?)(?:i?B)?$/i.exec(text.trim());
  if (size === null) throw bad('want a size such as 500M, 2G or 80%');
  const bytes = Math.floor(Number(size[1]) * (UNITS[(size[2] ?? '').toUpperCase()] ?? 1));
  if (!(Number.isSafeInteger(bytes) && bytes >= 1)) throw bad('a size must be at least 1 byte');
  return { bytes };
}

/** "80%" or "536870912 bytes (512.0 MiB)" for messages. */
export function describeMaxSize(maxSize: ConfigMaxSize): string {
  return 'percent' in maxSize ? `${maxSize.percent}% of its filesystem` : `${maxSize.bytes} bytes (${formatBytes(maxSize.bytes, { decimals: 1 })})`;
}

const COUNTS = ['last', 'hourly', 'daily', 'weekly', 'monthly', 'yearly'] as const;

/** The RetentionPolicy a config's stored `retention` means. */
export function policyFromConfig(stored: ConfigRetention): RetentionPolicy {
  const policy: { -readonly [K in keyof RetentionPolicy]: RetentionPolicy[K] } = {};
  for (const key of COUNTS) {
    const value: RetentionCount | undefined = stored[key];
    if (value !== undefined) policy[key] = value === 'unlimited' ? Infinity : value;
  }
  if (stored.within !== undefined) policy.within = parseCalendarDuration(stored.within);
  if (stored.tags !== undefined) policy.tags = stored.tags.map((list) => [...list]);
  return policy;
}

/** The config form of a RetentionPolicy (Infinity becomes "unlimited", `within` a duration text). */
export function policyToConfig(policy: RetentionPolicy): ConfigRetention {
  const stored: { -readonly [K in keyof ConfigRetention]: ConfigRetention[K] } = {};
  for (const key of COUNTS) {
    const value = policy[key];
    if (value !== undefined) stored[key] = value === Infinity ? 'unlimited' : value;
  }
  if (policy.within !== undefined) stored.within = formatCalendarDuration(policy.within);
  if (policy.tags !== undefined) stored.tags = policy.tags.map((list) => [...list]);
  return stored;
}

/** What updateConfig changes: a value sets a setting, null removes it, undefined leaves it. */
export interface ConfigChange {
  readonly maxSize?: ConfigMaxSize | null;
  readonly retention?: RetentionPolicy | null;
}

/**
 * Changes the settings a repository may change after `init` (maxSize, retention) and writes
 * the config again atomically; returns the new config. ERR_UNSUPPORTED when the backend cannot
 * replace its config. Processes that opened the repository before keep the old settings.
 */
export async function updateConfig(repo: Pick<Repository, 'backend' | 'config'>, change: ConfigChange): Promise<RepoConfig> {
  const { backend } = repo;
  if (backend.replaceConfig === undefined) {
    throw new CairnError('ERR_UNSUPPORTED', `the repository at ${backend.location} cannot change its config (its backend cannot replace a file)`);
  }
  const { maxSize, retention, ...fixed } = repo.config;
  const nextMaxSize = change.maxSize === undefined ? maxSize : change.maxSize ?? undefined;
  const nextRetention = change.retention === undefined ? retention : change.retention === null ? undefined : policyToConfig(change.retention);
  const config: RepoConfig = {
    ...fixed,
    ...(nextMaxSize === undefined ? {} : { maxSize: nextMaxSize }),
    ...(nextRetention === undefined ? {} : { retention: nextRetention }),
  };
  await backend.replaceConfig(encodeConfig(config));
  return config;
}
