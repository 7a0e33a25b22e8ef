/**
 * @cairn/vcs/selector — the project selector: an EntrySelector (the port of @cairn/core a
 * backup asks entry by entry) for local folders, which applies each root's policy and reads
 * every working copy the walk meets through its VCS.
 */
export { createProjectSelector } from './project-selector.js';
export type { ProjectSelectorOptions, VcsBackupMode } from './project-selector.js';
export { createPolicy } from '../policy/policy.js';
export type { Policy, PolicyDecision } from '../policy/policy.js';
