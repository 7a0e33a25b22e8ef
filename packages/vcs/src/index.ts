/**
 * @cairn/vcs — the VCS bridge. Finds git, Mercurial and Subversion working copies in a tree,
 * reads their state through the real CLIs (what is clean and pushed, what only this machine
 * has), saves what the remote cannot give back (bundles of local commits, stashes, config,
 * hooks) and rebuilds a working copy from a recorded state. Also: language-aware backup
 * policies (stack presets, .gitignore, user globs, file classes) and the cairn config file
 * with its projects. Entry points: this one (a working copy's state and extras, the
 * WorkingCopyRebuilder a restore calls, the policy options), @cairn/vcs/selector (the
 * EntrySelector a backup asks) and @cairn/vcs/config (the config file and its projects).
 */
export { workingCopyAt } from './detect.js';
export { readWorkingCopy, saveExtras } from './working-copy.js';
export type { WorkingCopy, VcsStatus, VcsState, ExtrasManifest } from './types.js';
export { createWorkingCopyRebuilder } from './working-copy-rebuilder.js';
export type { WorkingCopyRebuilderOptions } from './working-copy-rebuilder.js';
export type { RemoteRewrite } from './url.js';
export type { PolicyOptions } from './policy/options.js';
