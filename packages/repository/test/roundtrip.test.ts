import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { backup, check, initRepository, listSnapshot, openRepository, restore } from '@cairn/repository';
import { createLocalBackend, createLocalSource, createLocalTarget } from '@cairn/transport';
import { buildSampleTree, describeTree, sampleRepo, tempDir } from './helpers.js';

describe('backup and restore round trip', () => {
  it('restores the sample tree identical in content, type, mode, mtime, link targets and hardlinks', async () => {
    const { work, source, repo } = await sampleRepo();

    const result = await backup(repo, { source: createLocalSource(), paths: [source], tags: ['t1'], description: 'first', meta: { client: 'acme' } });
    expect(result.partial).toBe(false);
    expect(result.snapshot.summary.filesNew).toBe(12);
    expect(result.snapshot.summary.symlinks).toBe(3);
    expect(result.snapshot.tags).toEqual(['t1']);
    expect(result.snapshot.meta).toEqual({ client: 'acme' });
    expect(result.snapshot.paths).toEqual([source]);

    // A freshly opened repository (index read back from disk) restores it.
    const reopened = await openRepository(createLocalBackend(join(work, 'repo')));
    const out = join(work, 'out');
    const restored = await restore(reopened, result.id.slice(0, 10), { target: createLocalTarget(out) });
    expect(restored.problems).toEqual([]);
    expect(restored.hardlinks).toBe(1);

    const want = await describeTree(source);
    const got = await describeTree(join(out, 'tree'));
    expect([...got.entries()]).toEqual([...want.entries()]);
    expect(want.get('src/hard-b.txt')).toContain('linked-with hard-a.txt');
    expect(want.get('empty')).toMatch(/^dir 700 /);
    expect(want.get('secret.key')).toMatch(process.getuid?.() === 0 ? /^file 600 1234:5678 981173106789000 / : /^file 600 \d+:\d+ 981173106789000 /);

    const checked = await check(reopened, { readData: true });
    expect(checked.problems).toEqual([]);
    expect(checked.verified.snapshots).toBe(1);
  });

  it('lists a snapshot below a path, and names a missing path', async () => {
    const work = await tempDir();
    const source = join(work, 'proj');
    await buildSampleTree(source, { bigFileSize: 1000 });
    const repo = await initRepository(createLocalBackend(join(work, 'repo')));
    await backup(repo, { source: createLocalSource(), paths: [source] });
    const paths: string[] = [];
    for await (const entry of listSnapshot(repo, 'latest', 'proj/src')) paths.push(entry.path);
    expect(paths).toEqual(['proj/src', 'proj/src/deep', 'proj/src/deep/deeper', 'proj/src/deep/deeper/leaf.md', 'proj/src/hard-b.txt', 'proj/src/main.ts']);
    await expect(async () => {
      for await (const entry of listSnapshot(repo, 'latest', 'proj/nope')) void entry;
    }).rejects.toThrow(/has no proj\/nope/);
  });

  it('backs up several paths as named entries of one snapshot', async () => {
    const work = await tempDir();
    await buildSampleTree(join(work, 'a'), { bigFileSize: 10 });
    await buildSampleTree(join(work, 'b'), { bigFileSize: 20 });
    const repo = await initRepository(createLocalBackend(join(work, 'repo')));
    const result = await backup(repo, { source: createLocalSource(), paths: [join(work, 'a'), join(work, 'b', 'src')] });
    const top: string[] = [];
    for await (const entry of listSnapshot(repo, result.id, '', { recursive: false })) top.push(entry.path);
    expect(top).toEqual(['a', 'src']);
    await expect(backup(repo, { source: createLocalSource(), paths: [join(work, 'a', 'src'), join(work, 'b', 'src')] })).rejects.toThrow(/would both be "src"/);
  });
});
