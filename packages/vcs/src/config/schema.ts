import { CairnError } from '@cairn/core';
import type { WorkingCopyMode } from '@cairn/core';
import { policyOptionErrors } from '../policy/options.js';
import type { PolicyOptions } from '../policy/options.js';

/** A project as a config file describes it. */
export interface ProjectConfig {
  /** The project's folder, relative to the config file's folder ('~/' for the home folder); default '.'. */
  readonly path?: string;
  /** The project's name; default the folder's name. */
  readonly project?: string;
  readonly client?: string;
  /** Stacks ("node", "rust"…); detected from marker files when absent. */
  readonly stack?: readonly string[];
  /** Where the project stands ("active", "maintenance", "archived"…), free text. */
  readonly phase?: string;
  readonly tags?: readonly string[];
  /** Policy settings for this project, over the file's own. */
  readonly policy?: PolicyOptions;
}

/** The content of cairn.config.json or ~/.config/cairn/config.json. */
export interface CairnConfigFile {
  readonly vcs?: WorkingCopyMode;
  readonly policy?: PolicyOptions;
  readonly projects?: readonly ProjectConfig[];
}

const TOP_KEYS = ['$schema', 'vcs', 'policy', 'projects'];
const PROJECT_KEYS = ['path', 'project', 'client', 'stack', 'phase', 'tags', 'policy'];

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

function unknownKeys(value: Record<string, unknown>, known: readonly string[], at: string): string[] {
  return Object.keys(value).filter((key) => !known.includes(key)).map((key) => `${at === '' ? '' : `${at}.`}${key} is not a known key (expected one of: ${known.join(', ')})`);
}

function projectErrors(value: unknown, at: string): string[] {
  if (!isObject(value)) return [`${at} must be an object`];
  const errors = unknownKeys(value, PROJECT_KEYS, at);
  for (const key of ['path', 'project', 'client', 'phase']) {
    const field = value[key];
    if (field !== undefined && (typeof field !== 'string' || field.trim() === '')) errors.push(`${at}.${key} must be a string`);
  }
  for (const key of ['stack', 'tags']) {
    const field = value[key];
    if (field !== undefined && (!Array.isArray(field) || field.some((item) => typeof item !== 'string' || item.trim() === ''))) {
      errors.push(`${at}.${key} must be an array of strings`);
    }
  }
  errors.push(...policyOptionErrors(value.policy, `${at}.policy`));
  return errors;
}

/** What is wrong with `value` as a config file, as sentences with key paths ("projects[2].phase must be a string"). */
export function configErrors(value: unknown): string[] {
  if (!isObject(value)) return ['the content must be a JSON object'];
  const errors = unknownKeys(value, TOP_KEYS, '');
  if (value.$schema !== undefined && typeof value.$schema !== 'string') errors.push('$schema must be a string');
  if (value.vcs !== undefined && value.vcs !== 'full' && value.vcs !== 'changes') errors.push('vcs must be "full" or "changes"');
  errors.push(...policyOptionErrors(value.policy, 'policy'));
  if (value.projects !== undefined) {
    if (!Array.isArray(value.projects)) errors.push('projects must be an array');
    else value.projects.forEach((project: unknown, i: number) => errors.push(...projectErrors(project, `projects[${i}]`)));
  }
  return errors;
}

/** `value` as a config file, or an ERR_FORMAT CairnError naming `file`, each key path and what was expected. */
export function validateConfig(value: unknown, file: string): CairnConfigFile {
  const errors = configErrors(value);
  if (errors.length > 0) {
    throw new CairnError('ERR_FORMAT', `${file}: ${errors.join('; ')}`, { hint: 'Fix the config file; its keys are described in the @cairn/vcs README.' });
  }
  return value as CairnConfigFile;
}
