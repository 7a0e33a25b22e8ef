import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Backend } from '@cairn/core';
import { backup, initRepository, openRepository } from '@cairn/repository';
import { createLocalBackend, createLocalSource, createLocalTarget } from '@cairn/transport';
import { RESTORE_LIMITS } from '../src/restore/file-writer.js';
import { StepPrefetch } from '../src/restore/step-prefetch.js';
import { readStep } from '../src/restore/pack-reader.js';
import { RestoreContext } from '../src/restore/restore-context.js';
import { planRestore } from '../src/restore/restore-plan.js';
import { ReadScheduler } from '../src/restore/restore-schedule.js';
import { createStepDecoder } from '../src/restore/step-decoder.js';
import { contentIds } from '../src/repo/content-ids.js';
import { findSnapshot } from '../src/repo/snapshots.js';
import { tempDir } from './helpers.js';
import { buildRestoreTree, TINY } from './restore-fixture.js';

const FAST = { N: 1024, r: 8, p: 1 };

/** A backend that counts the data reads made into a reader's buffer (FileHint.into) and answered in it. */
function intoCounting(inner: Backend): Backend & { readonly reads: { into: number } } {
  const reads = { into: 0 };
  return {
    ...inner,
    reads,
    read: async (type, name, range, hint) => {
      const bytes = await inner.read(type, name, range, hint);
      if (type === 'data' && hint?.into !== undefined && bytes.buffer === hint.into.buffer) reads.into += 1;
      return bytes;
    },
  };
}

describe('the reads of a restore decoded in a worker thread', () => {
  it.each([['a plain repository', undefined], ['an encrypted one', 'aes-256-gcm']] as const)(
    'are made into one buffer that goes to the worker and comes back, in %s (no buffer per read); every blob as stored',
    { timeout: 60_000 },
    async (_, encryption) => {
      const work = await tempDir('cairn-read-buffers-');
      const source = join(work, 'tree');
      await buildRestoreTree(source);
      const repoDir = join(work, 'repo');
      const secret = encryption === undefined ? {} : { encryption, password: 'pw', kdf: FAST };
      const { id: snapshotId } = await backup(await initRepository(createLocalBackend(repoDir), { ...TINY, ...secret }), { source: createLocalSource(), paths: [source] });
      const backend = intoCounting(createLocalBackend(repoDir));
      const repo = await openRepository(backend, encryption === undefined ? {} : { password: async () => 'pw' });
      const ctx = new RestoreContext(repo, { target: createLocalTarget(join(work, 'out')) }, {
        snapshotId, files: 0, dirs: 0, symlinks: 0, hardlinks: 0, skipped: 0, checkedOut: 0, bytesWritten: 0, problems: [], notRestored: [],
      });
      const { files } = await planRestore(ctx, (await findSnapshot(repo, snapshotId)).snapshot.tree);
      const limits = { ...RESTORE_LIMITS, maxReadBytes: 16 * 1024, maxStepBytes: 64 * 1024 };
      const decoder = createStepDecoder({ threads: 1, macKey: contentIds(repo.backend).macKey, arenaBytes: 1024 * 1024, readBytes: limits.maxReadBytes + 256 * 1024 });
      try {
        const steps = new ReadScheduler(files.blobs, files.contents(), limits);
        backend.reads.into = 0;
        let count = 0;
        for (let step = steps.next(); step !== undefined; step = steps.next()) {
          const data = await readStep(repo, files.blobs, step, decoder);
          for (const b of step.blobs) {
            const plain = data.get(b);
            expect(plain).toBeInstanceOf(Uint8Array);
            expect(Buffer.from(plain as Uint8Array).equals(Buffer.from(await repo.loadBlob(files.blobs.id(b), 'data')))).toBe(true);
          }
          decoder.release(step);
          count += 1;
        }
        expect(count).toBeGreaterThan(10);
        // One read at a time: one buffer for all of them, each read answered in it (an encrypted one decrypted in its place).
        expect(decoder.readBuffersMade).toBe(1);
        expect(backend.reads.into).toBe(count);
        // A read larger than the buffers gets none (the backend makes its own).
        expect(decoder.readBuffer(limits.maxReadBytes + 256 * 1024 + 1)).toBeUndefined();
      } finally {
        await decoder.close();
      }
    },
  );

  it('hold no more buffers than the read-ahead lets reads be in flight, however many reads there are', { timeout: 60_000 }, async () => {
    const work = await tempDir('cairn-read-buffers-');
    const source = join(work, 'tree');
    await buildRestoreTree(source);
    const repoDir = join(work, 'repo');
    const { id: snapshotId } = await backup(await initRepository(createLocalBackend(repoDir), TINY), { source: createLocalSource(), paths: [source] });
    const repo = await openRepository(createLocalBackend(repoDir));
    const ctx = new RestoreContext(repo, { target: createLocalTarget(join(work, 'out')) }, {
      snapshotId, files: 0, dirs: 0, symlinks: 0, hardlinks: 0, skipped: 0, checkedOut: 0, bytesWritten: 0, problems: [], notRestored: [],
    });
    const { files } = await planRestore(ctx, (await findSnapshot(repo, snapshotId)).snapshot.tree);
    const limits = { ...RESTORE_LIMITS, maxReadBytes: 16 * 1024, maxStepBytes: 64 * 1024 };
    const budget = 64 * 1024;
    // The budget alone (its plaintext with a decoder: one buffer per read held), then at most two reads held as well.
    for (const maxReads of [Number.POSITIVE_INFINITY, 2]) {
      const decoder = createStepDecoder({ threads: 1, macKey: undefined, arenaBytes: 1024 * 1024, readBytes: limits.maxReadBytes, spareReads: 1000 });
      try {
        const prefetch = new StepPrefetch(repo, new ReadScheduler(files.blobs, files.contents(), limits), files.blobs, budget, decoder, maxReads);
        let count = 0;
        let smallest = Infinity;
        const held: Promise<void>[] = [];
        for (let taken = await prefetch.take(); taken !== undefined; taken = await prefetch.take()) {
          const { step } = taken;
          count += 1;
          smallest = Math.min(smallest, step.plainBytes);
          // Released a little later, as the writes do: the prefetch reads ahead meanwhile.
          held.push(new Promise<void>((resolve) => setTimeout(() => {
            prefetch.release(step);
            resolve();
          }, 2)));
        }
        await Promise.all(held);
        expect(count).toBeGreaterThan(10);
        // Reads in flight hold at most `budget` bytes of plaintext (one read always may), and are at most maxReads: that many buffers, never one per read.
        expect(decoder.readBuffersMade).toBeGreaterThan(maxReads === 2 ? 1 : 0);
        expect(decoder.readBuffersMade).toBeLessThanOrEqual(Math.min(Math.floor(budget / smallest) + 1, maxReads));
        expect(decoder.readBuffersMade).toBeLessThan(count);
      } finally {
        await decoder.close();
      }
    }
  });

  it('restore() bounds its blob memory: the decode arena, the read buffers and the cache stay within 48 MiB', () => {
    const { readAhead, readsAhead, maxStepBytes, maxReadBytes, cacheBytes } = RESTORE_LIMITS;
    const arena = readAhead + maxStepBytes;
    // Reads in flight: at most readsAhead (each in a buffer of maxReadBytes and the room an encrypted read needs).
    const reads = readsAhead * (maxReadBytes + 256 * 1024);
    expect(arena + reads + cacheBytes).toBeLessThanOrEqual(48 * 1024 * 1024);
  });
});
