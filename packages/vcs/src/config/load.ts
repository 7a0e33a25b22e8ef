import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { CairnError, fromSystemError } from '@cairn/core';
import type { WorkingCopyMode } from '@cairn/core';
import { mergePolicyOptions } from '../policy/options.js';
import type { PolicyOptions } from '../policy/options.js';
import { jsonErrorOffset, lineAndColumn } from './json-position.js';
import { validateConfig } from './schema.js';
import type { CairnConfigFile, ProjectConfig } from './schema.js';

/** The name of a project's config file. */
export const PROJECT_CONFIG_NAME = 'cairn.config.json';

/** A project entry of the merged configuration, its folder absolute. */
export interface ConfiguredProject extends Omit<ProjectConfig, 'path'> {
  readonly path: string;
  /** The config file(s) that describe it. */
  readonly sources: readonly string[];
}

/** The user's and the project's config files, merged (the project's over the user's). */
export interface LoadedConfig {
  /** The files read, user file first. */
  readonly files: readonly string[];
  readonly vcs: WorkingCopyMode;
  readonly policy: PolicyOptions;
  readonly projects: readonly ConfiguredProject[];
}

/** Options of loadConfig. */
export interface LoadConfigOptions {
  /** Where to look for cairn.config.json: this folder, then each parent; default the current folder. */
  readonly dir?: string;
  /** The user's config file; null for none; default $XDG_CONFIG_HOME/cairn/config.json (~/.config/cairn/config.json). */
  readonly userConfig?: string | null;
}

/** The default path of the user's config file. */
export function userConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME !== undefined && isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : join(homedir(), '.config');
  return join(base, 'cairn', 'config.json');
}

/** A config file, validated; null when it does not exist; ERR_FORMAT naming the file and the place when it is not valid. */
export async function readConfigFile(file: string): Promise<CairnConfigFile | null> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ENOENT') return null;
    throw fromSystemError(error, `cannot read the config file ${file}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const offset = jsonErrorOffset(text, message);
    let where = '';
    if (offset !== null) {
      const { line, column } = lineAndColumn(text, offset);
      where = ` at line ${line}, column ${column}`;
    }
    throw new CairnError('ERR_FORMAT', `${file}: not valid JSON${where} (${message})`, { cause: error });
  }
  return validateConfig(value, file);
}

/** The nearest cairn.config.json in `dir` or a parent, or null. */
async function findProjectConfig(dir: string): Promise<{ file: string; config: CairnConfigFile } | null> {
  for (let at = resolve(dir); ; at = dirname(at)) {
    const file = join(at, PROJECT_CONFIG_NAME);
    const config = await readConfigFile(file);
    if (config !== null) return { file, config };
    if (dirname(at) === at) return null;
  }
}

/** A project path from a config file: '~/' is the home folder, a relative path starts at the file's folder. */
function projectPath(path: string | undefined, file: string): string {
  const raw = path ?? '.';
  if (raw === '~' || raw.startsWith('~/')) return join(homedir(), raw.slice(1));
  return resolve(dirname(file), raw);
}

/**
 * Loads the user's config file and the nearest project config file and merges them: the
 * project's vcs mode and policy settings over the user's (include and exclude lists add up), and
 * projects matched by folder, the project file's fields over the user file's.
 */
export async function loadConfig(options: LoadConfigOptions = {}): Promise<LoadedConfig> {
  const userFile = options.userConfig === undefined ? userConfigPath() : options.userConfig;
  const layers: { file: string; config: CairnConfigFile }[] = [];
  if (userFile !== null) {
    const config = await readConfigFile(userFile);
    if (config !== null) layers.push({ file: userFile, config });
  }
  const project = await findProjectConfig(options.dir ?? process.cwd());
  if (project !== null && project.file !== userFile) layers.push(project);

  let vcs: WorkingCopyMode = 'full';
  let policy: PolicyOptions = {};
  const projects = new Map<string, ConfiguredProject>();
  for (const { file, config } of layers) {
    vcs = config.vcs ?? vcs;
    policy = mergePolicyOptions(policy, config.policy);
    for (const entry of config.projects ?? []) {
      const path = projectPath(entry.path, file);
      const before = projects.get(path);
      const merged: ConfiguredProject = {
        ...before,
        ...entry,
        path,
        sources: [...(before?.sources ?? []), file],
        ...(before?.policy !== undefined || entry.policy !== undefined ? { policy: mergePolicyOptions(before?.policy, entry.policy) } : {}),
      };
      projects.set(path, merged);
    }
  }
  return { files: layers.map((layer) => layer.file), vcs, policy, projects: [...projects.values()] };
}
