import { STACK_NAMES } from './presets.js';
import type { FileClass, StackName } from './presets.js';

/** How a policy decides what a backup stores. */
export interface PolicyOptions {
  /** Stack presets to apply: all (true, the default), none (false) or the ones named. */
  readonly presets?: boolean | readonly StackName[];
  /** Apply .gitignore files (each to its own folder and below); default true. */
  readonly gitignore?: boolean;
  /** Keep files .gitignore excludes when they look like secrets (.env, keys): the remote never has them. Default true. */
  readonly keepIgnoredSecrets?: boolean;
  /** Globs naming secrets (a glob without '/' matches a file name at any depth); default DEFAULT_SECRET_PATTERNS. */
  readonly secrets?: readonly string[];
  /** Globs (relative to the policy's root; without '/': any depth) always stored, over presets, .gitignore and excludes. */
  readonly include?: readonly string[];
  /** Globs always skipped, over presets and .gitignore. */
  readonly exclude?: readonly string[];
  /** Classes skipped (and reported as skipped); default generated and dependency. */
  readonly skipClasses?: readonly FileClass[];
}

/** Names of files that hold secrets, kept even when .gitignore excludes them. */
export const DEFAULT_SECRET_PATTERNS: readonly string[] = [
  '.env', '.env.*', '*.env', '.envrc', '*.pem', '*.key', '*.p12', '*.pfx', '*.jks', '*.keystore', 'id_rsa', 'id_ecdsa', 'id_ed25519',
  '.npmrc', '.pypirc', '.netrc', '.htpasswd', 'credentials.json', 'secrets.*', '*.secret', '*.secrets',
];

/** Every file class. */
export const FILE_CLASSES: readonly FileClass[] = ['source', 'config', 'asset', 'generated', 'dependency'];

/** The classes skipped by default. */
export const DEFAULT_SKIP_CLASSES: readonly FileClass[] = ['generated', 'dependency'];

const KEYS = ['presets', 'gitignore', 'keepIgnoredSecrets', 'secrets', 'include', 'exclude', 'skipClasses'];

const isStrings = (value: unknown): value is string[] => Array.isArray(value) && value.every((item) => typeof item === 'string' && item !== '');

/** What is wrong with `value` as PolicyOptions, as sentences naming `at` ("policy", "projects[1].policy"); empty when nothing is. */
export function policyOptionErrors(value: unknown, at: string): string[] {
  if (value === undefined) return [];
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [`${at} must be an object`];
  const errors: string[] = [];
  const options = value as Record<string, unknown>;
  for (const key of Object.keys(options)) if (!KEYS.includes(key)) errors.push(`${at}.${key} is not a known key (expected one of: ${KEYS.join(', ')})`);
  const { presets, gitignore, keepIgnoredSecrets, skipClasses } = options;
  if (presets !== undefined && typeof presets !== 'boolean') {
    if (!Array.isArray(presets) || presets.some((name) => !STACK_NAMES.includes(name as StackName))) {
      errors.push(`${at}.presets must be true, false or an array of stack names (${STACK_NAMES.join(', ')})`);
    }
  }
  if (gitignore !== undefined && typeof gitignore !== 'boolean') errors.push(`${at}.gitignore must be true or false`);
  if (keepIgnoredSecrets !== undefined && typeof keepIgnoredSecrets !== 'boolean') errors.push(`${at}.keepIgnoredSecrets must be true or false`);
  for (const key of ['secrets', 'include', 'exclude']) {
    if (options[key] !== undefined && !isStrings(options[key])) errors.push(`${at}.${key} must be an array of non-empty glob strings`);
  }
  if (skipClasses !== undefined && (!Array.isArray(skipClasses) || skipClasses.some((name) => !FILE_CLASSES.includes(name as FileClass)))) {
    errors.push(`${at}.skipClasses must be an array of file classes (${FILE_CLASSES.join(', ')})`);
  }
  return errors;
}

/** `over` on top of `base`: include and exclude lists add up, every other setting of `over` replaces the base's. */
export function mergePolicyOptions(base: PolicyOptions = {}, over: PolicyOptions = {}): PolicyOptions {
  const merged: Record<string, unknown> = { ...base, ...over };
  for (const key of ['include', 'exclude'] as const) {
    const list = [...(base[key] ?? []), ...(over[key] ?? [])];
    if (list.length > 0) merged[key] = [...new Set(list)];
  }
  return merged as PolicyOptions;
}
