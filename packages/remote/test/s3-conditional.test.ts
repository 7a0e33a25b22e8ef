import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isCairnError } from '@cairn/core';
import { createS3Backend } from '@cairn/remote';
import { backendContract, hexName } from '../../transport/test/backend-contract.js';
import { motoUnavailable, startMotoServer } from './s3-server.js';

// moto's S3 server honours If-None-Match, which s3rver (the server every run has) ignores: where
// moto is installed, the contract suite runs against it too, and racing writers of one name must
// leave exactly one winner.
const unavailable = motoUnavailable();
let server: Awaited<ReturnType<typeof startMotoServer>> | undefined;
beforeAll(async () => {
  if (unavailable === undefined) server = await startMotoServer();
});
afterAll(async () => {
  await server?.stop();
});

let made = 0;
const fresh = () => {
  if (server === undefined) throw new Error('no moto server');
  return createS3Backend({ endpoint: server.endpoint, bucket: server.bucket, prefix: `repo-${++made}` }, { credentials: server.credentials });
};

describe.skipIf(unavailable !== undefined)(`s3 backend against moto${unavailable === undefined ? '' : ` (skipped: ${unavailable})`}`, () => {
  backendContract('s3 (moto)', async () => {
    const backend = fresh();
    await backend.create();
    return backend;
  });

  it('writers racing on one name with different bytes: one wins, the others are ERR_EXISTS (412 from the server)', async () => {
    for (let round = 0; round < 3; round++) {
      const prefix = `race-${round}`;
      const writers = Array.from({ length: 8 }, () => createS3Backend({ endpoint: server?.endpoint ?? '', bucket: 'cairn', prefix }, { credentials: server?.credentials }));
      const contents = writers.map(() => new Uint8Array(randomBytes(1000)));
      const results = await Promise.allSettled(writers.map((writer, i) => writer.write('lock', 'contended', contents[i] ?? new Uint8Array(0))));
      const won = results.flatMap((result, i) => (result.status === 'fulfilled' ? [i] : []));
      expect(won).toHaveLength(1);
      for (const result of results) if (result.status === 'rejected') expect(isCairnError(result.reason, 'ERR_EXISTS')).toBe(true);
      const stored = await writers[0]?.read('lock', 'contended');
      expect(hexName(stored ?? new Uint8Array(0))).toBe(hexName(contents[won[0] ?? -1] ?? new Uint8Array(0)));
    }
  });
});
