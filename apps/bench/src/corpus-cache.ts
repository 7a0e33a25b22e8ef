import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { corpusKey, generateCorpus } from './generate-corpus.js';
import type { CorpusManifest, CorpusParams } from './generate-corpus.js';

/** A generated corpus in the cache: the folder to back up and what it holds. */
export interface CachedCorpus {
  readonly root: string;
  readonly manifest: CorpusManifest;
  /** True when an earlier run had generated it. */
  readonly reused: boolean;
}

/**
 * The corpus of `params` under `work`, generated on first use and reused afterwards.
 * It is written to a temporary folder and renamed into place, so an interrupted
 * generation is never mistaken for a complete one.
 */
export async function ensureGeneratedCorpus(work: string, params: CorpusParams): Promise<CachedCorpus> {
  const dir = join(work, corpusKey(params));
  const root = join(dir, 'corpus');
  const manifestPath = join(dir, 'manifest.json');
  if (existsSync(manifestPath)) {
    return { root, manifest: JSON.parse(await readFile(manifestPath, 'utf8')) as CorpusManifest, reused: true };
  }
  await mkdir(work, { recursive: true });
  const partial = `${dir}.partial-${process.pid}`;
  await rm(partial, { recursive: true, force: true });
  const manifest = generateCorpus(join(partial, 'corpus'), params);
  await writeFile(join(partial, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  try {
    await rename(partial, dir);
  } catch (error) {
    // Another run generated the same corpus meanwhile: theirs is identical.
    await rm(partial, { recursive: true, force: true });
    if (!existsSync(manifestPath)) throw error;
  }
  return { root, manifest, reused: false };
}
