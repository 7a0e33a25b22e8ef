import { copyFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { copyFolderFiles, copyRegular, exists, withTempDir } from '../fs-util.js';
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
  return { files, bundled, warnings: await operationWarnings(copy.root, copy.metaDir) };
}

/** State files of .hg that say an operation is in progress, and what it is. */
const OPERATIONS: readonly (readonly [string, string])[] = [
  ['merge/state2', 'an uncommitted merge or unresolved conflicts'],
  ['merge/state', 'an uncommitted merge or unresolved conflicts'],
  ['rebasestate', 'a rebase in progress'],
  ['graftstate', 'a graft in progress'],
  ['histedit-state', 'a histedit in progress'],
  ['shelvedstate', 'an unshelve in progress'],
  ['updatestate', 'an interrupted update'],
  ['transplant/journal', 'a transplant in progress'],
  ['bisect.state', 'a bisection'],
];

/** One sentence per operation in progress, which a `changes` backup does not keep (the restore gives the working files on the first parent). */
async function operationWarnings(root: string, metaDir: string): Promise<string[]> {
  const warnings: string[] = [];
  const seen = new Set<string>();
  for (const [file, what] of OPERATIONS) {
    if (seen.has(what) || !(await exists(join(metaDir, file)))) continue;
    seen.add(what);
    warnings.push(`${root}: ${what} (.hg/${file}) is not kept when only what the remote lacks is stored: a restore gives the working files on the first parent without it; finish or abort it first, or back up this working copy with --vcs full`);
  }
  return warnings;
}
