import { copyFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { copyFolderFiles, copyRegular, withTempDir } from '../fs-util.js';
import type { ExtrasManifest, VcsStatus } from '../types.js';
import { hg } from './hg-state.js';

/** Name of the bundle in an extras folder. */
export const HG_BUNDLE = 'hg.bundle';

/**
 * Writes what a Mercurial working copy holds that its remote cannot give back into `outDir`: a
 * bundle of the changesets that are not public (drafts), .hg/hgrc and the shelves (.hg/shelved).
 * Bookmarks are part of the recorded state.
 */
export async function saveHgExtras(status: VcsStatus, outDir: string, signal?: AbortSignal): Promise<ExtrasManifest> {
  const { copy, state } = status;
  await mkdir(outDir, { recursive: true });
  const files: string[] = [];
  if (await copyRegular(join(copy.metaDir, 'hgrc'), join(outDir, 'hgrc'))) files.push('hgrc');
  for (const name of await copyFolderFiles(join(copy.metaDir, 'shelved'), join(outDir, 'shelved'))) files.push(`shelved/${name}`);
  let bundled: string[] = [];
  if (state.unpushed > 0) {
    bundled = await withTempDir('cairn-hg-bundle-', async (tmp) => {
      const bundle = join(tmp, HG_BUNDLE);
      // "or null" keeps the base non-empty when nothing is public, so hg does not ask a remote.
      const made = await hg(copy.root, ['bundle', '-q', '--base', 'public() or null', '-r', 'not public()', bundle], { signal, okCodes: [0, 1] });
      if (made.code === 1) return [];
      await copyFile(bundle, join(outDir, HG_BUNDLE));
      files.push(HG_BUNDLE);
      return [`${state.unpushed} changesets that are not public`];
    });
  }
  return { files, bundled, warnings: [] };
}
