import { createHash } from 'node:crypto';
import { copyFile, lstat, mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isCairnError } from '@cairn/core';
import { copyFolderFiles, copyRegular, exists, withTempDir } from '../fs-util.js';
import { splitLines, stderrOf } from '../run.js';
import type { ExtrasManifest, VcsStatus } from '../types.js';
import { FIXED_IDENT, git, gitCommonDir } from './git-dirs.js';
import { operationFiles, saveOperation } from './git-operation.js';

/** Name of the bundle in an extras folder. */
export const GIT_BUNDLE = 'git.bundle';
/** Refs the bundle carries besides branches and tags: the detached HEAD, each stash entry, the index. */
export const CAIRN_REF_PREFIX = 'refs/cairn/';


/**
 * Writes what a git working copy holds that its remote cannot give back into `outDir`: a bundle of
 * every commit no remote-tracking ref reaches (local branches and tags, a detached HEAD, the stash
 * entries, and a commit of the index so staged changes survive), the repository's config,
 * info/exclude and its hooks (not the samples), and a merge, rebase, cherry-pick or revert in
 * progress (operation/: its state files and the raw index, their objects in the bundle). The user's repository is not written to: the
 * bundle is made in a temporary repository that borrows its objects.
 */
export async function saveGitExtras(status: VcsStatus, outDir: string, signal?: AbortSignal): Promise<ExtrasManifest> {
  const { copy, state } = status;
  const common = await gitCommonDir(copy);
  await mkdir(outDir, { recursive: true });
  const files: string[] = [];
  const warnings: string[] = [];
  if (await copyRegular(join(common, 'config'), join(outDir, 'config'))) files.push('config');
  if (await copyRegular(join(common, 'info', 'exclude'), join(outDir, 'info', 'exclude'))) files.push('info/exclude');
  for (const hook of await copyFolderFiles(join(common, 'hooks'), join(outDir, 'hooks'), (name) => !name.endsWith('.sample'))) files.push(`hooks/${hook}`);

  const bundled = await withTempDir('cairn-git-bundle-', async (tmp) => {
    const scratch = join(tmp, 'scratch.git');
    // Independent steps run at once: each is a process start. No template: no sample hooks to copy.
    const [refs] = await Promise.all([
      git(copy.root, ['for-each-ref', '--format=create %(refname) %(objectname)', 'refs/heads', 'refs/tags', 'refs/remotes'], { signal }),
      git(tmp, ['init', '-q', '--bare', '--template=', scratch], { signal }).then(async () => {
        await mkdir(join(scratch, 'objects', 'info'), { recursive: true });
        await writeFile(join(scratch, 'objects', 'info', 'alternates'), `${join(common, 'objects')}\n`);
      }),
    ]);
    const run = (args: readonly string[], options: { input?: string; env?: Record<string, string>; okCodes?: number[] } = {}) =>
      git(scratch, args, { signal, ...options });

    const updates = splitLines(refs.stdout);
    if (state.head !== null) updates.push(`create ${CAIRN_REF_PREFIX}head ${state.head}`);
    state.stashes.forEach((stash, i) => updates.push(`create ${CAIRN_REF_PREFIX}stash/${i} ${stash.commit}`));
    const index = await indexCommit(copy.metaDir, state.head, tmp, run);
    const operation = await saveOperation(copy.metaDir, copy.root, outDir, run, signal);
    if (await exists(join(copy.metaDir, 'BISECT_LOG'))) {
      warnings.push(`${copy.root}: a bisection (.git/BISECT_LOG) is not kept when only what the remote lacks is stored; finish it (git bisect reset) first, or back up this working copy with --vcs full`);
    }
    files.push(...operation.files);
    updates.push(...operation.updates);
    // A merge stopped on conflicts: its index is kept whole, conflict stages included, with the operation.
    if (index === 'failed') {
      if (!operation.files.includes('operation/index')) warnings.push(`the index of ${copy.root} could not be captured (it has conflicts or an unusual format): staged changes are restored as plain working-tree changes`);
    } else if (index !== 'same') {
      updates.push(`create ${CAIRN_REF_PREFIX}index ${index}`);
    }
    await run(['update-ref', '--stdin'], { input: updates.map((line) => `${line}\n`).join('') });

    const bundle = join(tmp, GIT_BUNDLE);
    try {
      await run(['bundle', 'create', '-q', bundle, '--branches', '--tags', `--glob=${CAIRN_REF_PREFIX}*`, '--not', '--remotes']);
    } catch (error) {
      if (isCairnError(error, 'ERR_IO') && /empty bundle/i.test(stderrOf(error))) return [];
      throw error;
    }
    const heads = await run(['bundle', 'list-heads', bundle]);
    await copyFile(bundle, join(outDir, GIT_BUNDLE));
    files.push(GIT_BUNDLE);
    return splitLines(heads.stdout).map((line) => line.slice(line.indexOf(' ') + 1));
  });
  return { files, bundled, warnings };
}

const EMPTY_TREE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';

type Run = (args: readonly string[], options?: { input?: string; env?: Record<string, string>; okCodes?: number[] }) => Promise<{ stdout: Buffer }>;

/**
 * A commit of the index's tree, written into the scratch repository from a copy of the index;
 * 'same' when the index holds HEAD's tree (nothing staged) or there is no index, 'failed' when git cannot write it.
 */
async function indexCommit(gitDir: string, head: string | null, tmp: string, run: Run): Promise<string> {
  const indexCopy = join(tmp, 'index');
  if (!(await copyRegular(join(gitDir, 'index'), indexCopy))) return 'same';
  try {
    const tree = (await run(['write-tree'], { env: { GIT_INDEX_FILE: indexCopy } })).stdout.toString().trim();
    const headTree = head === null ? EMPTY_TREE : (await run(['rev-parse', `${head}^{tree}`])).stdout.toString().trim();
    if (tree === headTree) return 'same';
    const commit = await run(['commit-tree', tree, '-m', 'cairn: the index'], { env: FIXED_IDENT });
    return commit.stdout.toString().trim();
  } catch (error) {
    if (isCairnError(error, 'ERR_IO')) return 'failed';
    throw error;
  }
}

/**
 * A fingerprint of everything saveGitExtras reads: the state (HEAD, refs, stashes…) and the size,
 * mtime and inode of config, info/exclude, the hooks and the index. Equal fingerprints mean equal
 * extras, so a backup may keep the previous snapshot's instead of writing them again.
 */
export async function gitExtrasFingerprint(status: VcsStatus): Promise<string> {
  const common = await gitCommonDir(status.copy);
  const hooks = join(common, 'hooks');
  const names = (await readdir(hooks).catch(() => [] as string[])).filter((name) => !name.endsWith('.sample')).sort();
  const paths = [
    join(common, 'config'), join(common, 'info', 'exclude'), join(status.copy.metaDir, 'index'), ...names.map((name) => join(hooks, name)),
    ...(await operationFiles(status.copy.metaDir)),
  ];
  const stats = await Promise.all(paths.map((path) => lstat(path, { bigint: true }).then((s) => `${path} ${s.size} ${s.mtimeNs} ${s.ino} ${s.mode}`, () => `${path} -`)));
  const { root: _root, ...state } = status.state;
  return createHash('sha256').update(JSON.stringify(state)).update('\n').update(stats.join('\n')).digest('hex');
}
