import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { toHex } from '@cairn/core';
import type { Id } from '@cairn/core';
import { backup, check, forget, initRepository, openRepository, prune, restore } from '@cairn/repository';
import type { Repository } from '@cairn/repository';
import { createLocalBackend, createLocalSource, createLocalTarget } from '@cairn/transport';
import { seededBytes, tempDir } from './helpers.js';
import { deltaBases, MAX_DELTA_DEPTH } from '../src/repo/delta-chain.js';

/** Text-like content: `lines` lines drawn from a seed, so small edits keep most of it. */
function sourceText(lines: number, seed: number): string[] {
  const bytes = seededBytes(lines * 8, seed);
  const out: string[] = [];
  for (let i = 0; i < lines; i += 1) out.push(`line ${i}: value ${bytes.readUInt32LE((i * 8) % (bytes.length - 4)).toString(36)} ${bytes.readUInt32LE((i * 8 + 4) % (bytes.length - 4)).toString(16)};`);
  return out;
}

/** Version `v` of a text file: the base text with a few lines edited per version. */
function version(base: readonly string[], v: number): string {
  const lines = [...base];
  for (let k = 1; k <= v; k += 1) lines[(k * 7919) % lines.length] = `edited in version ${k}: ${'x'.repeat(k)}`;
  return `${lines.join('\n')}\n`;
}

async function backupVersions(repo: Repository, source: string, versions: number, options: { deltas?: boolean } = {}): Promise<string[]> {
  const base = sourceText(4000, 11);
  const ids: string[] = [];
  for (let v = 0; v < versions; v += 1) {
    await writeFile(join(source, 'file.txt'), version(base, v));
    const result = await backup(repo, { source: createLocalSource(), paths: [source], time: new Date(Date.UTC(2026, 0, 1 + v)), ...options });
    ids.push(result.id);
  }
  return ids;
}

function deltaCount(repo: Repository): number {
  let n = 0;
  for (const [, location] of repo.index.entries()) if (location.codec === 'delta') n += 1;
  return n;
}

describe('delta blobs', () => {
  it('round trip across 10 versions of a file with small edits', async () => {
    const work = await tempDir();
    const source = join(work, 'src');
    await mkdir(source);
    const repo = await initRepository(createLocalBackend(join(work, 'repo')));
    const ids = await backupVersions(repo, source, 10);
    expect(deltaCount(repo)).toBeGreaterThan(0);
    const reopened = await openRepository(createLocalBackend(join(work, 'repo')));
    const base = sourceText(4000, 11);
    for (let v = 0; v < 10; v += 1) {
      const out = join(work, `out-${v}`);
      const result = await restore(reopened, ids[v]!, { target: createLocalTarget(out) });
      expect(result.problems).toEqual([]);
      expect(await readFile(join(out, 'src', 'file.txt'), 'utf8')).toBe(version(base, v));
    }
    const checked = await check(reopened, { readData: true });
    expect(checked.problems).toEqual([]);
  });
});
