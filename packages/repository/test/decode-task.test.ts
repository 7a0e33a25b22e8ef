import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { codecCode } from '@cairn/core';
import { encodeBlob, loadZstd } from '@cairn/pack';
import { decodeStep, decodeTask } from '../src/repo/decode-task.js';

const zstd = await loadZstd();
const sha256 = (bytes: Uint8Array): Uint8Array => new Uint8Array(createHash('sha256').update(bytes).digest());

/** Two blobs stored back to back (one as is, one zstd) and the task's tables for them. */
function stored(): { buffer: ArrayBuffer; table: Uint32Array; ids: Uint8Array; plains: Uint8Array[] } {
  const plains = [new Uint8Array([1, 2, 3]), new TextEncoder().encode('cairn '.repeat(5_000))];
  const encoded = plains.map((plain) => encodeBlob(plain, zstd, 3));
  expect(encoded.map((blob) => blob.codec)).toEqual(['none', 'zstd']);
  const bytes = Buffer.concat(encoded.map((blob) => blob.data));
  const table = new Uint32Array(8);
  const ids = new Uint8Array(64);
  let at = 0;
  encoded.forEach((blob, i) => {
    table.set([at, blob.data.length, blob.rawLength, codecCode(blob.codec)], i * 4);
    ids.set(sha256(plains[i]!), i * 32);
    at += blob.data.length;
  });
  return { buffer: new Uint8Array(bytes).buffer, table, ids, plains };
}

describe('decodeTask', () => {
  it('makes tasks of one shape, whichever optional fields are given (the decode thread stays optimized)', () => {
    const { buffer, table, ids } = stored();
    const shared = new SharedArrayBuffer(64);
    const tasks = [
      decodeTask(buffer, table, ids, 'p', {}),
      decodeTask(buffer, table, ids, 'p', { returnInput: true }),
      decodeTask(buffer, table, ids, 'p', { macKey: new Uint8Array(32), groups: new Uint32Array(4), output: { buffer: shared, offset: 0 } }),
      decodeTask(buffer, table, ids, 'p', { bases: { buffer: new ArrayBuffer(8), spans: new Float64Array([-1, 0, -1, 0]) }, returnInput: false }),
    ];
    for (const task of tasks) expect(Object.keys(task)).toEqual(['buffer', 'blobs', 'ids', 'packFile', 'macKey', 'bases', 'groups', 'output', 'returnInput']);
    expect(tasks.map((task) => task.returnInput)).toEqual([undefined, true, undefined, undefined]);
  });

  it('gives decodeStep what it decodes: into a buffer of its own, and into a shared output', () => {
    const { buffer, table, ids, plains } = stored();
    const total = plains[0]!.length + plains[1]!.length;
    const own = decodeStep(decodeTask(buffer.slice(0), table, ids, 'p', {}), zstd);
    expect(own.failures).toEqual([]);
    expect(Array.from(own.ends)).toEqual([plains[0]!.length, total]);
    expect(Buffer.from(own.buffer!)).toEqual(Buffer.concat(plains));
    const shared = new SharedArrayBuffer(total + 16);
    const into = decodeStep(decodeTask(buffer.slice(0), table, ids, 'p', { output: { buffer: shared, offset: 16 } }), zstd);
    expect(into.buffer).toBeUndefined();
    expect(into.failures).toEqual([]);
    expect(Buffer.from(new Uint8Array(shared, 16, total))).toEqual(Buffer.concat(plains));
    // A wrong id fails that blob by its name, and only that one.
    const wrong = new Uint8Array(ids);
    wrong[40]! ^= 1;
    const failed = decodeStep(decodeTask(buffer.slice(0), table, wrong, 'pack-x', {}), zstd);
    expect(failed.failures.map((failure) => [failure.blob, failure.code])).toEqual([[1, 'ERR_INTEGRITY']]);
    expect(failed.failures[0]!.message).toMatch(/pack-x/);
  });
});
