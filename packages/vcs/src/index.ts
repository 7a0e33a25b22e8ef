/**
 * @cairn/vcs — the VCS bridge. Finds git, Mercurial and Subversion working copies in a tree,
 * reads their state through the real CLIs (what is clean and pushed, what only this machine
 * has), saves what the remote cannot give back (bundles of local commits, stashes, config,
 * hooks) and rebuilds a working copy from a recorded state. Also: language-aware backup
 * policies (stack presets, .gitignore, user globs, file classes) and the cairn config file
 * with its projects. The engine reaches it through core's ports: createWorkingCopyRebuilder
 * here (a restore's WorkingCopyRebuilder), createProjectSelector in @cairn/vcs/selector (a
 * backup's EntrySelector).
 */
export { workingCopyAt, enclosingWorkingCopy, findWorkingCopies, ownerOf, relativeToCopy, VCS_META_NAMES } from './detect.js';
export type { FindOptions } from './detect.js';
export { readWorkingCopy, saveExtras, extrasFingerprint, restoreWorkingCopy, finishWorkingCopy } from './working-copy.js';
export { createWorkingCopyRebuilder } from './working-copy-rebuilder.js';
export type { WorkingCopyRebuilderOptions } from './working-copy-rebuilder.js';
export { rewriteUrl, stripCredentials } from './url.js';
export type { RemoteRewrite } from './url.js';
export type {
  VcsKind, WorkingCopy, FileStatus, VcsFile, FileReference, VcsRemote, VcsRef, VcsStash, PendingChanges,
  VcsState, VcsStatus, VcsProperties, ExtrasManifest, RestoreWorkingCopyOptions, RestoreReport,
} from './types.js';

export { createPolicy } from './policy/policy.js';
export type { Policy, PolicyDecision } from './policy/policy.js';
export { DEFAULT_SECRET_PATTERNS, DEFAULT_SKIP_CLASSES, FILE_CLASSES, mergePolicyOptions, policyOptionErrors } from './policy/options.js';
export type { PolicyOptions } from './policy/options.js';
export { STACK_PRESETS, STACK_NAMES, stacksFor } from './policy/presets.js';
export type { StackName, FileClass, StackPreset, PresetRule } from './policy/presets.js';
export { classifyName } from './policy/classify.js';
export { localPolicyFs } from './policy/policy-fs.js';
export type { PolicyFs } from './policy/policy-fs.js';

export { configErrors, validateConfig } from './config/schema.js';
export type { CairnConfigFile, ProjectConfig } from './config/schema.js';
export { loadConfig, readConfigFile, userConfigPath, PROJECT_CONFIG_NAME } from './config/load.js';
export type { LoadedConfig, LoadConfigOptions, ConfiguredProject } from './config/load.js';
export { detectStacks, resolveProjects, projectOf } from './config/projects.js';
export type { Project } from './config/projects.js';
