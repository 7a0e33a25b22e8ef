import { describe, expect, it } from 'vitest';
import { CONFIG_LIMITS, decodeConfig, encodeConfig } from '@cairn/index';
import type { RepoConfig } from '@cairn/index';
import { expectCairnError } from './helpers.js';

const config: RepoConfig = {
  version: 1,
  id: 'ab'.repeat(32),
  createdAt: '2024-01-02T03:04:05.678Z',
  chunker: { algorithm: 'fastcdc', min: 524_288, avg: 1_048_576, max: 8_388_608 },
  hash: 'sha256',
  compression: { codec: 'zstd', level: 3 },
  encryption: 'none',
  packSize: 16 * 2 ** 20,
};
const WHERE = '/srv/backup/config';

/** Config bytes from a JSON value, changed by `change`. */
function edited(change: (value: Record<string, unknown>) => void): Uint8Array {
  const value = JSON.parse(JSON.stringify(config)) as Record<string, unknown>;
  change(value);
  return new TextEncoder().encode(JSON.stringify(value));
}

describe('config', () => {
  it('round-trips as pretty-printed JSON with the keys in format order', () => {
    const bytes = encodeConfig(config);
    const text = new TextDecoder().decode(bytes);
    expect(text).toBe(`${JSON.stringify(config, null, 2)}\n`);
    expect(Object.keys(JSON.parse(text))).toEqual(['version', 'id', 'createdAt', 'chunker', 'hash', 'compression', 'encryption', 'packSize']);
    expect(decodeConfig(bytes, WHERE)).toEqual(config);
    const { packSize, ...rest } = config;
    const reordered: RepoConfig = { packSize, ...rest };
    expect(encodeConfig(reordered)).toEqual(bytes);
  });

  it('refuses version 99 with ERR_VERSION and a hint', () => {
    const error = expectCairnError(() => decodeConfig(edited((v) => (v['version'] = 99)), WHERE), 'ERR_VERSION');
    expect(error.message).toBe(`${WHERE} has format version 99; this cairn reads versions 1 to 3`);
    expect(error.hint).toMatch(/upgrade cairn/);
  });

  it('refuses what it cannot read safely with ERR_UNSUPPORTED naming the value', () => {
    expectCairnError(() => decodeConfig(edited((v) => (v['encryption'] = 'aes')), WHERE), 'ERR_UNSUPPORTED', WHERE, 'encryption "aes"');
    expectCairnError(() => decodeConfig(edited((v) => (v['hash'] = 'blake3')), WHERE), 'ERR_UNSUPPORTED', 'hash "blake3"');
    expectCairnError(() => decodeConfig(edited((v) => ((v['compression'] as Record<string, unknown>)['codec'] = 'lz4')), WHERE), 'ERR_UNSUPPORTED', 'compression.codec "lz4"');
    expectCairnError(() => decodeConfig(edited((v) => ((v['chunker'] as Record<string, unknown>)['algorithm'] = 'rabin')), WHERE), 'ERR_UNSUPPORTED', 'chunker.algorithm "rabin"');
    expectCairnError(() => decodeConfig(edited((v) => (v['dedupSeed'] = 7)), WHERE), 'ERR_UNSUPPORTED', '"dedupSeed"');
    // An encrypted config need not have the other fields in the clear: encryption is named first.
    expectCairnError(() => decodeConfig(new TextEncoder().encode('{"version":1,"encryption":"aes"}'), WHERE), 'ERR_UNSUPPORTED', '"aes"');
  });

  it('refuses what is not a complete config with ERR_FORMAT', () => {
    const cases: [Uint8Array, string][] = [
      [new TextEncoder().encode('{"version":1,'), 'not UTF-8 JSON'],
      [new Uint8Array([0xff, 0xfe, 0x7b, 0x7d]), 'not UTF-8 JSON'],
      [new TextEncoder().encode('[1]'), 'expected an object'],
      [new TextEncoder().encode('null'), 'expected an object'],
      [edited((v) => delete v['version']), 'version is missing'],
      [edited((v) => (v['version'] = '1')), 'version is "1"'],
      [edited((v) => delete v['packSize']), 'packSize is missing'],
      [edited((v) => delete (v['chunker'] as Record<string, unknown>)['avg']), 'chunker.avg is missing'],
      [edited((v) => ((v['chunker'] as Record<string, unknown>)['max'] = 1)), 'chunker.max is 1'],
      [edited((v) => (v['id'] = 'xyz')), 'id is "xyz"'],
      [edited((v) => (v['createdAt'] = 'yesterday')), 'createdAt is "yesterday"'],
      [edited((v) => (v['compression'] = 'zstd')), 'compression is "zstd"'],
    ];
    for (const [bytes, message] of cases) expectCairnError(() => decodeConfig(bytes, WHERE), 'ERR_FORMAT', WHERE, message);
  });

  it('refuses numbers no writer can honour with ERR_FORMAT naming the file, key and value', () => {
    const set = (section: string | null, key: string, value: unknown) => edited((v) => {
      const target = section === null ? v : (v[section] as Record<string, unknown>);
      target[key] = value;
    });
    const cases: [Uint8Array, string][] = [
      [set(null, 'packSize', 1e12), 'packSize is 1000000000000, expected an integer from 16384 to 1073741824'],
      [set(null, 'packSize', 1024), 'packSize is 1024'],
      [set(null, 'packSize', 2 ** 20 + 0.5), 'packSize is 1048576.5'],
      [set('compression', 'level', 99), 'compression.level is 99, expected an integer from 1 to 19'],
      [set('compression', 'level', 0), 'compression.level is 0'],
      [set('compression', 'level', 2.5), 'compression.level is 2.5'],
      [set('chunker', 'min', 8), 'chunker.min is 8, expected an integer from 64 to 67108864'],
      [set('chunker', 'avg', 256), 'chunker.avg is 256, expected an integer from 524288 to 268435456 (at least chunker.min)'],
      [set('chunker', 'max', 2 ** 31), 'chunker.max is 2147483648, expected an integer from 1048576 to 1073741824'],
      [edited((v) => (v['retention'] = { within: '99999999999y' })), 'retention.within is "99999999999y", expected a duration'],
      [edited((v) => (v['retention'] = { within: '1d1d' })), 'retention.within is "1d1d"'],
      [edited((v) => (v['retention'] = { last: -1 })), 'retention.last is -1'],
    ];
    for (const [bytes, message] of cases) expectCairnError(() => decodeConfig(bytes, WHERE), 'ERR_FORMAT', WHERE, message);
    // The bounds themselves are accepted.
    const edges = decodeConfig(edited((v) => {
      v['packSize'] = CONFIG_LIMITS.packSize.max;
      v['compression'] = { codec: 'zstd', level: CONFIG_LIMITS.compressionLevel.max };
      v['chunker'] = { algorithm: 'fastcdc', min: 64, avg: 256, max: 1024 };
      v['retention'] = { within: '10000y' };
    }), WHERE);
    expect(edges.packSize).toBe(2 ** 30);
  });

  it('refuses to encode a config it would not read', () => {
    expect(() => encodeConfig({ ...config, encryption: 'aes' as 'none' })).toThrow(TypeError);
    expect(() => encodeConfig({ ...config, packSize: 0 })).toThrow(/packSize is 0/);
  });
});

describe('config: optional maxSize and retention', () => {
  const full: RepoConfig = {
    ...config,
    maxSize: { bytes: 500 * 2 ** 20 },
    retention: { last: 3, daily: 'unlimited', within: '1y6m', tags: [['keep'], ['']] },
  };

  it('are absent when unset and follow packSize when set; they round-trip', () => {
    expect(Object.keys(JSON.parse(new TextDecoder().decode(encodeConfig(config))))).not.toContain('maxSize');
    const bytes = encodeConfig(full);
    expect(Object.keys(JSON.parse(new TextDecoder().decode(bytes))).slice(-3)).toEqual(['packSize', 'maxSize', 'retention']);
    expect(decodeConfig(bytes, WHERE)).toEqual(full);
    const percent: RepoConfig = { ...config, maxSize: { percent: 12.5 } };
    expect(decodeConfig(encodeConfig(percent), WHERE)).toEqual(percent);
  });

  it('refuses malformed values with ERR_FORMAT and unknown keys inside them with ERR_UNSUPPORTED', () => {
    const cases: [(v: Record<string, unknown>) => void, string][] = [
      [(v) => (v['maxSize'] = 1000), 'maxSize is 1000, expected an object'],
      [(v) => (v['maxSize'] = {}), 'exactly one of bytes, percent'],
      [(v) => (v['maxSize'] = { bytes: 1, percent: 2 }), 'exactly one of bytes, percent'],
      [(v) => (v['maxSize'] = { bytes: 0 }), 'maxSize.bytes is 0'],
      [(v) => (v['maxSize'] = { percent: 101 }), 'maxSize.percent is 101'],
      [(v) => (v['retention'] = { last: -1 }), 'retention.last is -1'],
      [(v) => (v['retention'] = { daily: 'all' }), 'retention.daily is "all"'],
      [(v) => (v['retention'] = { within: '2 weeks' }), 'retention.within is "2 weeks"'],
      [(v) => (v['retention'] = { tags: ['keep'] }), 'retention.tags is an array of 1'],
    ];
    for (const [change, message] of cases) expectCairnError(() => decodeConfig(edited(change), WHERE), 'ERR_FORMAT', WHERE, message);
    expectCairnError(() => decodeConfig(edited((v) => (v['maxSize'] = { gigabytes: 2 })), WHERE), 'ERR_UNSUPPORTED', '"maxSize.gigabytes"');
    expectCairnError(() => decodeConfig(edited((v) => (v['retention'] = { keepForever: true })), WHERE), 'ERR_UNSUPPORTED', '"retention.keepForever"');
    expect(() => encodeConfig({ ...config, maxSize: { bytes: -5 } })).toThrow(/maxSize.bytes is -5/);
  });
});
