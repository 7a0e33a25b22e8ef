import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { backup, restore, stats } from '@cairn/repository';
import type { Repository } from '@cairn/repository';
import { createLocalSource, createLocalTarget } from '@cairn/transport';
import { describeTree, sampleRepo } from './helpers.js';

async function packCount(repo: Repository): Promise<number> {
  let n = 0;
  for await (const file of repo.backend.list('data')) n += file.size > 0 ? 1 : 0;
  return n;
}

describe('deduplication', () => {
  it('a second backup of the same tree adds no pack and no blob', async () => {
    const { source, repo } = await sampleRepo();
    const first = await backup(repo, { source: createLocalSource(), paths: [source] });
    const packsAfterFirst = await packCount(repo);
    expect(packsAfterFirst).toBeGreaterThan(0);

    const second = await backup(repo, { source: createLocalSource(), paths: [source] });
    expect(await packCount(repo)).toBe(packsAfterFirst);
    expect(second.snapshot.summary.bytesAdded).toBe(0);
    expect(second.snapshot.summary.filesUnchanged).toBe(12);
    expect(second.snapshot.tree).toEqual(first.snapshot.tree);
    expect(second.snapshot.parent).not.toBeNull();
  });

  it('changing one byte of the 50 MB file adds only the chunk around it', async () => {
    const { work, source, repo } = await sampleRepo();
    const first = await backup(repo, { source: createLocalSource(), paths: [source] });
    const blobsBefore = repo.index.size;

    const handle = await open(join(source, 'big.bin'), 'r+');
    await handle.write(Buffer.from([0x5a]), 0, 1, 25 * 1024 * 1024);
    await handle.close();
    const second = await backup(repo, { source: createLocalSource(), paths: [source] });

    const s = second.snapshot.summary;
    expect(s.filesChanged).toBe(1);
    expect(s.filesUnchanged).toBe(11);
    // One data chunk (a few at most) plus the trees on the way to the root.
    expect(s.dataBlobsAdded).toBeGreaterThanOrEqual(1);
    expect(s.dataBlobsAdded).toBeLessThanOrEqual(3);
    expect(s.bytesAdded).toBeLessThan(3 * 8 * 1024 * 1024);
    expect(repo.index.size - blobsBefore).toBe(s.dataBlobsAdded + s.treeBlobsAdded);

    // Both versions restore exactly.
    const now = await describeTree(source);
    await restore(repo, second.id, { target: createLocalTarget(join(work, 'v2')) });
    expect([...(await describeTree(join(work, 'v2', 'tree'))).entries()]).toEqual([...now.entries()]);
    await restore(repo, first.id, { target: createLocalTarget(join(work, 'v1')) });
    const v1 = await describeTree(join(work, 'v1', 'tree'));
    expect(v1.get('big.bin')).not.toBe(now.get('big.bin'));
    expect(v1.get('crlf.txt')).toBe(now.get('crlf.txt'));

    const st = await stats(repo);
    expect(st.snapshots).toBe(2);
    expect(st.dedupRatio).toBeGreaterThan(1.8);
  });
});
