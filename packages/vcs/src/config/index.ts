/**
 * @cairn/vcs/config — the cairn config file and its projects: loads the user's and the nearest
 * project's `cairn.config.json`, validated and merged, and settles each project's name, stacks
 * and backup policy.
 */
export { loadConfig, userConfigPath } from './load.js';
export type { LoadedConfig, LoadConfigOptions, ConfiguredProject } from './load.js';
export { detectStacks, resolveProjects, projectOf } from './projects.js';
export type { Project } from './projects.js';
