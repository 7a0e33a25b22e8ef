import { basename, resolve, sep } from 'node:path';
import { mergePolicyOptions } from '../policy/options.js';
import type { PolicyOptions } from '../policy/options.js';
import { localPolicyFs } from '../policy/policy-fs.js';
import type { PolicyFs } from '../policy/policy-fs.js';
import { stacksFor } from '../policy/presets.js';
import type { StackName } from '../policy/presets.js';
import type { LoadedConfig } from './load.js';

/** A project with every field settled: what snapshots are tagged with and listed by. */
export interface Project {
  /** Absolute folder. */
  readonly path: string;
  readonly project: string;
  readonly client: string | null;
  readonly stack: readonly string[];
  /** True when `stack` was detected from marker files rather than configured. */
  readonly stackDetected: boolean;
  readonly phase: string | null;
  readonly tags: readonly string[];
  /** The config's policy with the project's own settings on top. */
  readonly policy: PolicyOptions;
}

/** The stacks whose marker files are in folder `dir` (package.json: node, Cargo.toml: rust…). */
export async function detectStacks(dir: string, fs: PolicyFs = localPolicyFs): Promise<StackName[]> {
  return stacksFor(await fs.readdir(resolve(dir)));
}

/** The configured projects with names, stacks (detected where not given) and policies settled, sorted by path. */
export async function resolveProjects(config: LoadedConfig, options: { fs?: PolicyFs } = {}): Promise<Project[]> {
  const projects: Project[] = [];
  for (const entry of config.projects) {
    const detected = entry.stack === undefined;
    projects.push({
      path: entry.path,
      project: entry.project ?? basename(entry.path),
      client: entry.client ?? null,
      stack: entry.stack ?? (await detectStacks(entry.path, options.fs)),
      stackDetected: detected,
      phase: entry.phase ?? null,
      tags: entry.tags ?? [],
      policy: mergePolicyOptions(config.policy, entry.policy),
    });
  }
  return projects.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** The innermost project whose folder holds `path` (absolute), or undefined. */
export function projectOf(projects: readonly Project[], path: string): Project | undefined {
  const target = resolve(path);
  let best: Project | undefined;
  for (const project of projects) {
    const inside = target === project.path || target.startsWith(project.path.endsWith(sep) ? project.path : project.path + sep);
    if (inside && (best === undefined || project.path.length > best.path.length)) best = project;
  }
  return best;
}
