/**
 * Plans: backups that run by themselves (`cairn daemon`, `cairn watch`, `cairn status`), read
 * from the plans file beside the user's config file ($XDG_CONFIG_HOME/cairn/plans.json, or
 * --plans / $CAIRN_PLANS) and validated with errors naming the file and the key.
 */
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { CairnError, fromSystemError } from '@cairn/core';
import { DEFAULT_RETRY, parseDuration, parseSchedule } from '@cairn/schedule';
import type { RetryPolicy, Schedule } from '@cairn/schedule';
import { userConfigPath } from '@cairn/vcs/config';
import { loadProjects } from './projects.js';

/** The events a hook can be attached to. */
export const HOOK_EVENTS = ['start', 'success', 'partial', 'failure', 'skipped'] as const;
/** One of HOOK_EVENTS. */
export type HookEvent = (typeof HOOK_EVENTS)[number];

/** What runs on an event: a shell command (with CAIRN_* variables) and/or a webhook (POST JSON). */
export interface Hook {
  readonly command?: string;
  readonly webhook?: string;
}

/** A maintenance job of a plan: forget (with the plan's retention), prune or check, on its own schedule. */
export interface MaintenanceJob {
  readonly kind: 'forget' | 'prune' | 'check';
  readonly schedule: Schedule;
  /** check: `--read-data-subset` (N% or K/M). */
  readonly readDataSubset?: string;
}

/** The watch settings of a plan with `trigger: activity` (and of `cairn watch`). */
export interface WatchSettings {
  readonly settle: number;
  readonly maxWait: number;
  readonly minFiles: number;
  readonly minBytes?: number;
}

/** A plan, validated, its paths absolute. */
export interface Plan {
  readonly name: string;
  /** Its folders and files: `paths`, and the folders of the `projects` it names. */
  readonly paths: readonly string[];
  readonly repo: string;
  readonly passwordFile?: string;
  readonly schedule: Schedule | null;
  readonly trigger: 'schedule' | 'activity';
  readonly watch: WatchSettings;
  readonly retry: RetryPolicy;
  readonly tags: readonly string[];
  /** `--keep-*` flags of `cairn forget` ("last": 7 → --keep-last 7), run after each backup that made a snapshot. */
  readonly retention: Readonly<Record<string, string | number>>;
  readonly maintenance: readonly MaintenanceJob[];
  readonly hooks: Readonly<Partial<Record<HookEvent, Hook>>>;
}

/** The plans file, read. */
export interface PlansFile {
  readonly file: string;
  readonly plans: readonly Plan[];
}

/** Watch defaults: 30 s of quiet, a backup at least every 10 minutes while edits continue, any changed file. */
export const DEFAULT_WATCH: WatchSettings = { settle: 30_000, maxWait: 600_000, minFiles: 1 };

const PLAN_KEYS = ['name', 'paths', 'projects', 'repo', 'passwordFile', 'schedule', 'trigger', 'watch', 'retry', 'tags', 'retention', 'maintenance', 'hooks'];
const WATCH_KEYS = ['settle', 'maxWait', 'minFiles', 'minBytes'];
const RETENTION_KEYS = ['last', 'hourly', 'daily', 'weekly', 'monthly', 'yearly', 'within'];
const MAINTENANCE_KEYS = ['forget', 'prune', 'check'];

/** The plans file: --plans, else $CAIRN_PLANS, else plans.json beside the user's config file. */
export function plansFilePath(given?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (given !== undefined && given !== '') return resolve(given);
  if (env['CAIRN_PLANS'] !== undefined && env['CAIRN_PLANS'] !== '') return resolve(env['CAIRN_PLANS']);
  return join(dirname(userConfigPath(env)), 'plans.json');
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Reads and validates the plans file; ERR_NOT_FOUND when it is missing, ERR_FORMAT naming the file and each bad key. */
export async function loadPlans(file: string): Promise<PlansFile> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ENOENT') {
      throw new CairnError('ERR_NOT_FOUND', `no plans file at ${file}`, { hint: 'write one (README.md, "Backups that run by themselves"), or name it with --plans or $CAIRN_PLANS' });
    }
    throw fromSystemError(error, `cannot read the plans file ${file}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new CairnError('ERR_FORMAT', `${file}: not valid JSON (${error instanceof Error ? error.message : String(error)})`, { cause: error });
  }
  const errors: string[] = [];
  // Plans that name projects find them in the user's config file (and the cairn.config.json beside the plans file).
  const named = isObject(value) && Array.isArray(value['plans']) && value['plans'].some((plan: unknown) => isObject(plan) && plan['projects'] !== undefined);
  const projects = named ? (await loadProjects(dirname(file))).projects : [];
  const plans = parsePlans(value, dirname(file), errors, projects);
  if (errors.length > 0) throw new CairnError('ERR_FORMAT', `${file}: ${errors.join('; ')}`, { hint: 'fix the plans file; its keys are described in README.md ("Backups that run by themselves")' });
  return { file, plans };
}

function parsePlans(value: unknown, base: string, errors: string[], projects: readonly { project: string; path: string }[]): Plan[] {
  if (!isObject(value)) {
    errors.push('the content must be a JSON object with a "plans" array');
    return [];
  }
  for (const key of Object.keys(value)) if (key !== 'plans' && key !== '$schema') errors.push(`${key} is not a known key (expected one of: plans)`);
  if (!Array.isArray(value['plans'])) {
    errors.push('plans must be an array');
    return [];
  }
  const plans = value['plans'].map((entry: unknown, i: number) => parsePlan(entry, `plans[${i}]`, base, errors, projects));
  const seen = new Set<string>();
  plans.forEach((plan, i) => {
    if (plan === null) return;
    if (seen.has(plan.name)) errors.push(`plans[${i}].name: ${JSON.stringify(plan.name)} names two plans`);
    seen.add(plan.name);
  });
  return plans.filter((plan): plan is Plan => plan !== null);
}

/** A path from the plans file: '~/' is the home folder, a relative path starts at the file's folder. */
function planPath(path: string, base: string): string {
  if (path === '~' || path.startsWith('~/')) return join(homedir(), path.slice(1));
  return resolve(base, path);
}

function parsePlan(value: unknown, at: string, base: string, errors: string[], projects: readonly { project: string; path: string }[]): Plan | null {
  if (!isObject(value)) {
    errors.push(`${at} must be an object`);
    return null;
  }
  const before = errors.length;
  const unknown = (object: Record<string, unknown>, known: readonly string[], where: string): void => {
    for (const key of Object.keys(object)) if (!known.includes(key)) errors.push(`${where}.${key} is not a known key (expected one of: ${known.join(', ')})`);
  };
  unknown(value, PLAN_KEYS, at);
  const string = (field: unknown, where: string, required = false): string | undefined => {
    if (field === undefined && !required) return undefined;
    if (typeof field !== 'string' || field.trim() === '') {
      errors.push(`${where} must be a non-empty string`);
      return undefined;
    }
    return field;
  };
  const strings = (field: unknown, where: string, required = false): string[] => {
    if (field === undefined && !required) return [];
    if (!Array.isArray(field) || field.some((item) => typeof item !== 'string' || item.trim() === '') || (required && field.length === 0)) {
      errors.push(`${where} must be ${required ? 'a non-empty' : 'an'} array of strings`);
      return [];
    }
    return field as string[];
  };
  const duration = (field: unknown, where: string): number | undefined => {
    if (field === undefined) return undefined;
    if (typeof field !== 'string') {
      errors.push(`${where} must be a duration such as "30s" or "10m"`);
      return undefined;
    }
    try {
      return parseDuration(field);
    } catch (error) {
      errors.push(`${where}: ${(error as Error).message}`);
      return undefined;
    }
  };
  const schedule = (field: unknown, where: string): Schedule | null => {
    const text = string(field, where);
    if (text === undefined) return null;
    try {
      return parseSchedule(text);
    } catch (error) {
      errors.push(`${where}: ${(error as Error).message}`);
      return null;
    }
  };
  const count = (field: unknown, where: string): number | undefined => {
    if (field === undefined) return undefined;
    if (typeof field !== 'number' || !Number.isInteger(field) || field < 0) {
      errors.push(`${where} must be a whole number (0 or more)`);
      return undefined;
    }
    return field;
  };

  const name = string(value['name'], `${at}.name`, true) ?? '';
  if (name !== '' && !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) errors.push(`${at}.name must be letters, digits, ".", "_" and "-" (it names the plan in logs and hooks)`);
  const given = strings(value['paths'], `${at}.paths`).map((p) => planPath(p, base));
  const fromProjects = strings(value['projects'], `${at}.projects`).flatMap((name) => {
    const found = projects.find((p) => p.project === name);
    if (found === undefined) errors.push(`${at}.projects: no configured project ${JSON.stringify(name)} (configured: ${projects.map((p) => p.project).join(', ') || 'none'})`);
    return found === undefined ? [] : [found.path];
  });
  const paths = [...new Set([...given, ...fromProjects])];
  if (value['paths'] === undefined && value['projects'] === undefined) errors.push(`${at} needs paths (folders or files) or projects (names from the config file)`);
  else if (paths.length === 0 && errors.length === before) errors.push(`${at}.paths: the plan names nothing to back up`);
  const repo = string(value['repo'], `${at}.repo`, true);
  const passwordFile = string(value['passwordFile'], `${at}.passwordFile`);
  const trigger = (value['trigger'] ?? 'schedule') as Plan['trigger'];
  if (trigger !== 'schedule' && trigger !== 'activity') errors.push(`${at}.trigger must be "schedule" or "activity"`);
  const when = schedule(value['schedule'], `${at}.schedule`);
  if (trigger === 'schedule' && value['schedule'] === undefined) errors.push(`${at}.schedule is missing (a cron expression or "every 2h"), or set trigger to "activity"`);

  let watch = DEFAULT_WATCH;
  if (value['watch'] !== undefined) {
    if (!isObject(value['watch'])) errors.push(`${at}.watch must be an object`);
    else {
      const w = value['watch'];
      unknown(w, WATCH_KEYS, `${at}.watch`);
      const minBytes = count(w['minBytes'], `${at}.watch.minBytes`);
      watch = {
        settle: duration(w['settle'], `${at}.watch.settle`) ?? DEFAULT_WATCH.settle,
        maxWait: duration(w['maxWait'], `${at}.watch.maxWait`) ?? DEFAULT_WATCH.maxWait,
        minFiles: count(w['minFiles'], `${at}.watch.minFiles`) ?? DEFAULT_WATCH.minFiles,
        ...(minBytes === undefined ? {} : { minBytes }),
      };
    }
  }
  let retry = DEFAULT_RETRY;
  if (value['retry'] !== undefined) {
    if (!isObject(value['retry'])) errors.push(`${at}.retry must be an object`);
    else {
      unknown(value['retry'], ['delay', 'max'], `${at}.retry`);
      retry = { delay: duration(value['retry']['delay'], `${at}.retry.delay`) ?? DEFAULT_RETRY.delay, max: duration(value['retry']['max'], `${at}.retry.max`) ?? DEFAULT_RETRY.max };
    }
  }
  const retention: Record<string, string | number> = {};
  if (value['retention'] !== undefined) {
    if (!isObject(value['retention'])) errors.push(`${at}.retention must be an object`);
    else {
      unknown(value['retention'], RETENTION_KEYS, `${at}.retention`);
      for (const [key, field] of Object.entries(value['retention'])) {
        if (key === 'within') {
          const text = string(field, `${at}.retention.within`);
          if (text !== undefined) retention[key] = text;
        } else if (RETENTION_KEYS.includes(key)) {
          const n = count(field, `${at}.retention.${key}`);
          if (n !== undefined) retention[key] = n;
        }
      }
    }
  }
  const maintenance: MaintenanceJob[] = [];
  if (value['maintenance'] !== undefined) {
    if (!isObject(value['maintenance'])) errors.push(`${at}.maintenance must be an object`);
    else {
      unknown(value['maintenance'], MAINTENANCE_KEYS, `${at}.maintenance`);
      for (const kind of ['forget', 'prune', 'check'] as const) {
        const job = value['maintenance'][kind];
        if (job === undefined) continue;
        const where = `${at}.maintenance.${kind}`;
        if (!isObject(job)) {
          errors.push(`${where} must be an object with a schedule`);
          continue;
        }
        unknown(job, kind === 'check' ? ['schedule', 'readDataSubset'] : ['schedule'], where);
        const jobSchedule = schedule(job['schedule'], `${where}.schedule`);
        if (job['schedule'] === undefined) errors.push(`${where}.schedule is missing`);
        const subset = kind === 'check' ? string(job['readDataSubset'], `${where}.readDataSubset`) : undefined;
        if (subset !== undefined && !/^(\d+(\.\d+)?%|\d+\/\d+)$/.test(subset)) errors.push(`${where}.readDataSubset must be N% or K/M`);
        if (kind === 'forget' && Object.keys(retention).length === 0) errors.push(`${where} needs ${at}.retention (what to keep)`);
        if (jobSchedule !== null) maintenance.push({ kind, schedule: jobSchedule, ...(subset === undefined ? {} : { readDataSubset: subset }) });
      }
    }
  }
  const hooks: Partial<Record<HookEvent, Hook>> = {};
  if (value['hooks'] !== undefined) {
    if (!isObject(value['hooks'])) errors.push(`${at}.hooks must be an object`);
    else {
      unknown(value['hooks'], HOOK_EVENTS, `${at}.hooks`);
      for (const event of HOOK_EVENTS) {
        const hook = value['hooks'][event];
        if (hook === undefined) continue;
        const where = `${at}.hooks.${event}`;
        if (!isObject(hook)) {
          errors.push(`${where} must be an object with a command and/or a webhook`);
          continue;
        }
        unknown(hook, ['command', 'webhook'], where);
        const command = string(hook['command'], `${where}.command`);
        const webhook = string(hook['webhook'], `${where}.webhook`);
        if (webhook !== undefined && !/^https?:\/\//.test(webhook)) errors.push(`${where}.webhook must be an http:// or https:// URL`);
        if (command === undefined && webhook === undefined) errors.push(`${where} needs a command or a webhook`);
        hooks[event] = { ...(command === undefined ? {} : { command }), ...(webhook === undefined ? {} : { webhook }) };
      }
    }
  }
  const tags = strings(value['tags'], `${at}.tags`);
  if (errors.length > before || repo === undefined) return null;
  return {
    name, paths, repo: /^[a-z][a-z0-9+]*:/i.test(repo) ? repo : planPath(repo, base),
    ...(passwordFile === undefined ? {} : { passwordFile: planPath(passwordFile, base) }),
    schedule: when, trigger, watch, retry, tags, retention, maintenance, hooks,
  };
}
