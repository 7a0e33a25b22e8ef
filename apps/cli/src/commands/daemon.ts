import { execFile } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { CairnError } from '@cairn/core';
import { globals, printJson } from '../context.js';
import { defaultLogFile, startDaemon } from '../daemon-run.js';
import { stateDir } from '../daemon-state.js';
import { loadPlans, plansFilePath } from '../plans.js';
import { UNIT_NAME, unitText, userUnitDir } from '../systemd-unit.js';

interface DaemonFlags {
  readonly plans?: string;
  readonly stateDir?: string;
  readonly log?: string;
}

/** Adds the flags `daemon`, `watch` and `status` share. */
export function addPlanFlags(command: Command, what: { log?: boolean } = {}): Command {
  command
    .option('--plans <file>', 'the plans file (default: $CAIRN_PLANS, else plans.json beside the user\'s config file, ~/.config/cairn/plans.json)')
    .option('--state-dir <dir>', 'where the daemon keeps state.json and its log (default: $XDG_STATE_HOME/cairn, ~/.local/state/cairn)');
  if (what.log === true) command.option('--log <file>', 'the JSON Lines log of every operation (default: daemon.log in the state folder)');
  return command;
}

/** Runs the daemon loop until SIGINT or SIGTERM. */
export async function runUntilSignal(start: () => ReturnType<typeof startDaemon>, quiet: boolean): Promise<void> {
  const daemon = await start();
  await new Promise<void>((resolveStop) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      if (!quiet) process.stderr.write('stopping: waiting for the runs in progress\n');
      void daemon.stop().then(resolveStop);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

/** `cairn daemon`, `cairn daemon install`, `cairn daemon uninstall` */
export function registerDaemon(program: Command): void {
  const daemon = addPlanFlags(program
    .command('daemon')
    .description('run every plan of the plans file in the foreground: on their schedules, on file activity, with their hooks; logs each operation as JSON Lines')
    .addHelpText('after', '\nEach run is a `cairn backup` (forget, prune, check) child process: no lock is held on a repository between runs.\nStop with Ctrl-C or SIGTERM; runs in progress finish first.'), { log: true })
    .action(async (flags: DaemonFlags, command: Command) => {
      const options = globals(command);
      const { file, plans } = await loadPlans(plansFilePath(flags.plans));
      if (plans.length === 0) throw new CairnError('ERR_USAGE', `${file}: plans is empty; there is nothing to run`);
      const dir = stateDir(flags.stateDir);
      await mkdir(dir, { recursive: true });
      const log = flags.log ?? defaultLogFile(dir);
      const quiet = options.quiet === true;
      if (!quiet) process.stderr.write(`cairn daemon: ${plans.length} plan(s) from ${file}; log ${log}\n`);
      await runUntilSignal(() => startDaemon({
        plans, stateDir: dir, logFile: log,
        ...(quiet ? {} : { onLine: (line: string) => process.stderr.write(`${new Date().toISOString()} ${line}\n`) }),
      }), quiet);
    });

  addPlanFlags(daemon
    .command('install')
    .description(`write a systemd user unit (${UNIT_NAME}) that runs \`cairn daemon\` at login; enable it with systemctl --user`))
    .action(async (flags: DaemonFlags, command: Command) => {
      const options = globals(command);
      if (process.platform !== 'linux') {
        throw new CairnError('ERR_UNSUPPORTED', `daemon install writes a systemd user unit, which ${process.platform} does not have`, {
          hint: 'run `cairn daemon` from your login items, or a crontab line: @reboot cairn daemon',
        });
      }
      const file = plansFilePath(flags.plans);
      await loadPlans(file); // a unit that would fail at its first start is no use
      const script = resolve(process.argv[1] ?? '');
      const args = [process.execPath, script, 'daemon', '--plans', file, ...(flags.stateDir === undefined ? [] : ['--state-dir', resolve(flags.stateDir)])];
      const env: Record<string, string> = {};
      for (const key of ['CAIRN_PASSWORD_COMMAND', 'XDG_CONFIG_HOME', 'XDG_STATE_HOME', 'XDG_DATA_HOME']) {
        const value = process.env[key];
        if (value !== undefined && value !== '') env[key] = value;
      }
      const dir = userUnitDir();
      const unit = join(dir, UNIT_NAME);
      await mkdir(dir, { recursive: true });
      await writeFile(unit, unitText(args, env));
      const verify = await verifyUnit(unit);
      if (options.json === true) {
        printJson({ unit, verified: verify.ran ? verify.ok : null, ...(verify.message === undefined ? {} : { verifyMessage: verify.message }) });
      } else if (options.quiet !== true) {
        process.stdout.write(`wrote ${unit}\n`);
        process.stdout.write(verify.ran ? (verify.ok ? 'systemd-analyze verify: ok\n' : `systemd-analyze verify: ${verify.message ?? 'failed'}\n`) : `not verified: ${verify.message}\n`);
        process.stdout.write(`start it now and at every login: systemctl --user daemon-reload && systemctl --user enable --now ${UNIT_NAME}\n`);
      }
      if (verify.ran && !verify.ok) process.exitCode = 1;
    });

  daemon
    .command('uninstall')
    .description(`remove the systemd user unit ${UNIT_NAME} (stop it first: systemctl --user disable --now ${UNIT_NAME})`)
    .action(async (_flags: unknown, command: Command) => {
      const options = globals(command);
      const unit = join(userUnitDir(), UNIT_NAME);
      const existed = await readFile(unit).then(() => true, () => false);
      await rm(unit, { force: true });
      if (options.json === true) printJson({ unit, removed: existed });
      else if (options.quiet !== true) process.stdout.write(existed ? `removed ${unit}\nthen: systemctl --user daemon-reload\n` : `no unit at ${unit}; nothing to remove\n`);
    });
}

/**
 * Runs `systemd-analyze --user verify` on the unit where systemd-analyze exists; without a user
 * session (no runtime folder: a container, an ssh login without lingering) it verifies the unit
 * file in system mode, which checks the same syntax and ExecStart.
 */
async function verifyUnit(unit: string): Promise<{ ran: boolean; ok: boolean; message?: string }> {
  const analyze = (args: string[]): Promise<{ missing: boolean; ok: boolean; text: string }> => new Promise((done) => {
    execFile('systemd-analyze', [...args, 'verify', unit], { timeout: 30_000 }, (error, _stdout, stderr) => {
      done({ missing: error !== null && (error as NodeJS.ErrnoException).code === 'ENOENT', ok: error === null, text: stderr.trim() });
    });
  });
  let run = await analyze(['--user']);
  if (run.missing) return { ran: false, ok: false, message: 'systemd-analyze is not installed here' };
  if (!run.ok && /Failed to (initialize manager|lookup RuntimeDirectory|create directory)/.test(run.text)) run = await analyze([]);
  return { ran: true, ok: run.ok, ...(run.text === '' ? {} : { message: run.text }) };
}
