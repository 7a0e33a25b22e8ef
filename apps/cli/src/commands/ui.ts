import { spawn } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { lazyModule } from '@cairn/core';
import { globals, printJson, repoLocation } from '../context.js';
import { listen, parseListen, stopSignal } from '../listen.js';
import { emit, warn } from '../output.js';
import { readPassword } from '../password.js';
import { isLoopback, newToken } from '../ui/auth.js';
import { createJobRegistry } from '../ui/jobs.js';
import { openRepoSession } from '../ui/repo-session.js';
import { createUiHandler } from '../ui/server.js';
import { webDir } from '../ui/static-files.js';
import { usageError } from '../usage.js';
import { addPlanFlags } from './daemon.js';

/** node:http, loaded when the command runs. */
const http = lazyModule<typeof import('node:http')>(import.meta.url, 'node:http');

interface UiFlags {
  readonly listen: string;
  readonly open?: boolean;
  readonly uiPasswordFile?: string;
  readonly restoreRoot?: string;
  readonly plans?: string;
  readonly stateDir?: string;
}

/** `cairn ui [--listen 127.0.0.1:0] [--open]` */
export function registerUi(program: Command): void {
  addPlanFlags(program
    .command('ui')
    .description('browse, compare, search and restore snapshots in a web browser: serves a page and its JSON API (docs/API.md) on this machine')
    .option('--listen <host:port>', 'the address to listen on (port 0: any free port); beyond loopback it needs --ui-password-file', '127.0.0.1:0')
    .option('--open', 'open the page in the default browser')
    .option('--ui-password-file <file>', 'ask every request for this password (HTTP Basic, user "cairn"; first line of the file; else $CAIRN_UI_PASSWORD): needed to listen beyond loopback')
    .option('--restore-root <dir>', 'restores from the page may only write into this folder (default: any absolute folder)'))
    .action(async (flags: UiFlags, command: Command) => {
      const options = globals(command);
      const { host, port } = parseListen(flags.listen);
      const loopback = isLoopback(host);
      const passwordSet = flags.uiPasswordFile !== undefined || (process.env['CAIRN_UI_PASSWORD'] ?? '') !== '' || (process.env['CAIRN_UI_PASSWORD_COMMAND'] ?? '') !== '';
      if (!loopback && !passwordSet) {
        throw usageError(`--listen ${flags.listen} is reachable from other machines: give --ui-password-file FILE (or CAIRN_UI_PASSWORD) so the page asks for a password`, 'or listen on 127.0.0.1 and reach it through an SSH tunnel');
      }
      const password = passwordSet
        ? await readPassword({ file: flags.uiPasswordFile, env: { password: 'CAIRN_UI_PASSWORD', command: 'CAIRN_UI_PASSWORD_COMMAND' }, prompt: 'the password of the web UI', missing: 'no password for the web UI', flag: '--ui-password-file' })
        : undefined;
      if (password === '') throw usageError('--ui-password-file: the password is empty');
      const { path } = repoLocation(options);
      const session = await openRepoSession(path, options.passwordFile);
      // The snapshot files are read once, starting now: the first page load finds them read or shares the reading.
      session.snapshots().catch(() => undefined);
      const jobs = createJobRegistry();
      const token = newToken();
      let boundPort = port;
      const handler = createUiHandler({
        session, jobs, token, host, loopback, password,
        port: () => boundPort,
        webDir: webDir(),
        plans: { plans: flags.plans, stateDir: flags.stateDir },
        restoreRoot: flags.restoreRoot === undefined ? undefined : resolve(flags.restoreRoot),
        onError: (error, request) => warn(`${request.method ?? ''} ${request.url?.replace(/token=[^&]*/, 'token=…') ?? ''}: ${error instanceof Error ? error.message : String(error)}`),
      });
      const server = http().createServer({ keepAliveTimeout: 30_000, requestTimeout: 30 * 60_000 }, handler);
      await listen(server, host, port, flags.listen);
      boundPort = (server.address() as AddressInfo).port;
      const shownHost = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
      const url = `http://${shownHost}:${boundPort}/?token=${token}`;
      if (options.json === true) emit('listening', { url, repository: path });
      else process.stdout.write(`cairn ui: ${url}\n`);
      if (flags.open === true) openBrowser(url);
      const signal = await stopSignal();
      server.close();
      await jobs.stopAll();
      server.closeAllConnections();
      if (options.json === true) printJson({ url: url.replace(/\?token=.*/, ''), stoppedBy: signal });
    });
}

/** Opens `url` in the desktop's browser (xdg-open, open, start); a failure is a warning, the server goes on. */
function openBrowser(url: string): void {
  const [command, args] = process.platform === 'darwin' ? ['open', [url]] : process.platform === 'win32' ? ['cmd', ['/c', 'start', '', url]] : ['xdg-open', [url]];
  const child = spawn(command, args as string[], { stdio: 'ignore', detached: true });
  child.on('error', (error) => warn(`--open: could not start ${command} (${error.message}); open the URL yourself`));
  child.unref();
}
