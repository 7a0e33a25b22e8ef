import type { Command } from 'commander';
import { EXIT, globals, printJson } from '../context.js';
import { formatBytes, shortId } from '../format.js';
import { planStatuses } from '../plan-status.js';
import { addPlanFlags } from './daemon.js';

/** `cairn status [--json]` */
export function registerStatus(program: Command): void {
  addPlanFlags(program
    .command('status')
    .description('each plan\'s last run, next run, failures since its last success and repository size; exits 1 when a plan has not succeeded within its expected interval')
    .option('--no-size', 'do not measure the repositories (which lists their files)'))
    .action(async (flags: { plans?: string; stateDir?: string; size: boolean }, command: Command) => {
      const options = globals(command);
      const statuses = await planStatuses({ plans: flags.plans, stateDir: flags.stateDir, size: flags.size });
      if (options.json === true) printJson(statuses, 'plan');
      else {
        for (const s of statuses) {
          const last = s.lastRun === null ? 'never run' : `${s.lastRun.result} at ${s.lastRun.time}${s.lastRun.snapshot === null ? '' : `, snapshot ${shortId(s.lastRun.snapshot)}`}, ${(s.lastRun.durationMs / 1000).toFixed(1)} s${s.lastRun.error === null ? '' : ` (${s.lastRun.error})`}`;
          process.stdout.write([
            `${s.plan}: ${s.overdue ? 'OVERDUE' : 'ok'}${s.why === null ? '' : ` (${s.why})`}`,
            `  last run: ${last}`,
            `  next run: ${s.nextRun ?? (s.trigger === 'activity' ? 'on file activity' : 'none')}`,
            `  failures since the last success: ${s.failures}`,
            ...(s.repositorySize === null ? [] : [`  repository: ${formatBytes(s.repositorySize)}`]),
          ].join('\n') + '\n');
        }
      }
      if (statuses.some((s) => s.overdue)) process.exitCode = EXIT.error;
    });
}
