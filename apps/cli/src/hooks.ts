/**
 * A plan's hooks: on each event (start, success, partial, failure, skipped) a shell command with
 * CAIRN_* variables and/or a webhook (POST JSON, retried). A hook that fails is reported to the
 * caller, never thrown: it cannot change or hide the backup's own result.
 */
import { spawn } from 'node:child_process';
import { hostname } from 'node:os';
import type { Hook, HookEvent, Plan } from './plans.js';

/** What a hook is told about the run. */
export interface HookPayload {
  readonly plan: string;
  readonly event: HookEvent;
  readonly time: string;
  readonly host: string;
  readonly repo: string;
  readonly reason?: string;
  readonly snapshot?: string;
  readonly files?: number;
  readonly bytes?: number;
  readonly durationMs?: number;
  readonly error?: string;
}

/** How one hook went: ok, or the problem as a sentence. */
export interface HookReport {
  readonly kind: 'command' | 'webhook';
  readonly ok: boolean;
  readonly message?: string;
}

/** The CAIRN_* variables a hook command gets. */
export function hookEnv(payload: HookPayload): Record<string, string> {
  const env: Record<string, string> = {
    CAIRN_PLAN: payload.plan,
    CAIRN_EVENT: payload.event,
    CAIRN_TIME: payload.time,
    CAIRN_REPO: payload.repo,
  };
  if (payload.reason !== undefined) env['CAIRN_REASON'] = payload.reason;
  if (payload.snapshot !== undefined) env['CAIRN_SNAPSHOT_ID'] = payload.snapshot;
  if (payload.files !== undefined) env['CAIRN_FILES'] = String(payload.files);
  if (payload.bytes !== undefined) env['CAIRN_BYTES'] = String(payload.bytes);
  if (payload.durationMs !== undefined) env['CAIRN_DURATION_MS'] = String(payload.durationMs);
  if (payload.error !== undefined) env['CAIRN_ERROR'] = payload.error;
  return env;
}

/** A payload for `plan` and `event`. */
export function hookPayload(plan: Plan, event: HookEvent, fields: Omit<HookPayload, 'plan' | 'event' | 'time' | 'host' | 'repo'>, time: number): HookPayload {
  return { plan: plan.name, event, time: new Date(time).toISOString(), host: hostname(), repo: plan.repo, ...fields };
}

function runCommand(command: string, payload: HookPayload, timeoutMs: number): Promise<HookReport> {
  return new Promise((resolve) => {
    const child = spawn('/bin/sh', ['-c', command], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...hookEnv(payload) } });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      resolve({ kind: 'command', ok: false, message: `cannot start the hook command: ${error.message}` });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve({ kind: 'command', ok: true });
      else resolve({ kind: 'command', ok: false, message: `the hook command ${signal !== null ? `was stopped by ${signal}` : `exited with ${code}`}${stderr.trim() === '' ? '' : `: ${stderr.trim()}`}` });
    });
  });
}

async function postWebhook(url: string, payload: HookPayload, attempts: number, delayMs: number): Promise<HookReport> {
  let last = '';
  for (let attempt = 1; attempt <= attempts; attempt += 1) {
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'cairn' },
        body: JSON.stringify(payload),
        signal: AbortSignal.timeout(10_000),
      });
      if (response.ok) return { kind: 'webhook', ok: true, ...(attempt > 1 ? { message: `delivered on attempt ${attempt}` } : {}) };
      last = `HTTP ${response.status}`;
      // A client error other than 408/429 will not get better by asking again.
      if (response.status < 500 && response.status !== 408 && response.status !== 429) break;
    } catch (error) {
      last = error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error);
    }
    if (attempt < attempts) await new Promise((resolve) => setTimeout(resolve, delayMs * 2 ** (attempt - 1)));
  }
  return { kind: 'webhook', ok: false, message: `the webhook ${url} failed: ${last}` };
}

/** Runs the plan's hook for `payload.event`, if any; resolves with a report per part, never rejects. */
export async function runHooks(hook: Hook | undefined, payload: HookPayload, options: { attempts?: number; delayMs?: number; timeoutMs?: number } = {}): Promise<HookReport[]> {
  if (hook === undefined) return [];
  const reports: Promise<HookReport>[] = [];
  if (hook.command !== undefined) reports.push(runCommand(hook.command, payload, options.timeoutMs ?? 300_000));
  if (hook.webhook !== undefined) reports.push(postWebhook(hook.webhook, payload, options.attempts ?? 4, options.delayMs ?? 1000));
  return Promise.all(reports);
}
