import { readFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Command } from 'commander';
import { lazyModule } from '@cairn/core';
import { createRestHandler, parseBackendUrl, parseHtpasswd } from '@cairn/remote';
import type { PasswordCheck } from '@cairn/remote';
import { createLocalBackend } from '@cairn/transport';
import { globals, printJson, repoLocation } from '../context.js';
import { emit, warn } from '../output.js';
import { close, listen, parseListen, stopSignal } from '../listen.js';
import { usageError } from '../usage.js';

/** node:http and node:https, loaded when the command runs. */
const http = lazyModule<typeof import('node:http')>(import.meta.url, 'node:http');
const https = lazyModule<typeof import('node:https')>(import.meta.url, 'node:https');

interface ServeFlags {
  listen: string;
  appendOnly?: boolean;
  htpasswd?: string;
  tlsCert?: string;
  tlsKey?: string;
}

/** `cairn serve [--listen HOST:PORT] [--append-only] [--htpasswd FILE] [--tls-cert F --tls-key F]` */
export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('serve the repository (a local folder) over HTTP for other machines: they use it as rest:http://host:port/')
    .option('--listen <host:port>', 'the address to listen on (port 0: any free port)', '127.0.0.1:8000')
    .option('--append-only', 'clients may add backups but never delete or overwrite anything but their locks (forget and prune run on this machine)')
    .option('--htpasswd <file>', 'ask for a user and password from this Apache htpasswd file (bcrypt or SHA entries)')
    .option('--tls-cert <file>', 'serve https with this PEM certificate (with --tls-key)')
    .option('--tls-key <file>', 'the PEM private key of --tls-cert')
    .action(async (flags: ServeFlags, command: Command) => {
      const options = globals(command);
      const { path } = repoLocation(options);
      const url = parseBackendUrl(path);
      if (url.kind !== 'local') throw usageError(`cairn serve serves a repository in a local folder, not ${path}`, 'give the folder with --repo or CAIRN_REPO');
      const { host, port } = parseListen(flags.listen);
      if ((flags.tlsCert === undefined) !== (flags.tlsKey === undefined)) throw usageError('--tls-cert and --tls-key go together: give both or neither');
      const authenticate = flags.htpasswd === undefined ? undefined : await readHtpasswd(flags.htpasswd);
      const backend = createLocalBackend(url.path);
      // What a server killed mid-upload left behind (its temporary files) goes before anything is served.
      for (const file of await backend.removeStaleTemporaries?.().catch(() => []) ?? []) warn(`removed ${file}, left by a writer that died`);
      let requests = 0;
      const handler = createRestHandler(backend, {
        appendOnly: flags.appendOnly === true,
        ...(authenticate !== undefined ? { authenticate } : {}),
        onError: (error, request) => warn(`${request.method ?? ''} ${request.url ?? ''}: ${error instanceof Error ? error.message : String(error)}`),
      });
      const counted: typeof handler = (request, response) => { requests++; handler(request, response); };
      const tls = flags.tlsCert !== undefined && flags.tlsKey !== undefined
        ? { cert: await readPem(flags.tlsCert, '--tls-cert'), key: await readPem(flags.tlsKey, '--tls-key') }
        : undefined;
      const serverOptions = { keepAliveTimeout: 30_000, requestTimeout: 30 * 60_000 };
      const server: Server = tls !== undefined ? https().createServer({ ...serverOptions, ...tls }, counted) : http().createServer(serverOptions, counted);
      // Bytes written to clients' connections (headers, bodies; TLS records under https): what they downloaded, in the stop summary.
      const open = new Set<Socket>();
      let closedBytes = 0;
      server.on('connection', (socket: Socket) => {
        open.add(socket);
        socket.once('close', () => { closedBytes += socket.bytesWritten; open.delete(socket); });
      });
      const bytesSent = (): number => closedBytes + [...open].reduce((sum, socket) => sum + socket.bytesWritten, 0);
      await listen(server, host, port, flags.listen);
      const address = server.address() as AddressInfo;
      const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
      const served = `${tls !== undefined ? 'https' : 'http'}://${shownHost}:${address.port}/`;
      const appendOnly = flags.appendOnly === true;
      if (options.json === true) {
        emit('listening', { url: served, repository: backend.location, appendOnly, authentication: authenticate !== undefined, tls: tls !== undefined });
      } else {
        process.stdout.write(`serving ${backend.location} at ${served}${appendOnly ? ' (append-only)' : ''}; clients use --repo rest:${served}\n`);
        process.stdout.write('stop with Ctrl-C\n');
      }
      const hasConfig = await backend.stat('config', 'config').then(() => true, () => false);
      if (!hasConfig && options.quiet !== true) process.stderr.write(`note: ${backend.location} holds no repository yet; \`cairn init --repo rest:${served}\` creates one\n`);
      const signal = await stopSignal();
      await close(server);
      if (options.json === true) printJson({ url: served, requests, bytesSent: bytesSent(), stoppedBy: signal });
      else process.stdout.write(`stopped (${signal}) after ${requests} requests, ${bytesSent()} bytes sent\n`);
    });
}

async function readHtpasswd(file: string): Promise<PasswordCheck> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw usageError(`--htpasswd: cannot read ${file}: ${(error as Error).message}`);
  }
  return parseHtpasswd(text, file);
}

async function readPem(file: string, flag: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (error) {
    throw usageError(`${flag}: cannot read ${file}: ${(error as Error).message}`);
  }
}
