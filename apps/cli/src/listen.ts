/** Listening on --listen HOST:PORT and stopping on a signal: what `cairn serve` and `cairn ui` share. */
import type { Server } from 'node:http';
import { CairnError } from '@cairn/core';
import { usageError } from './usage.js';

/** HOST:PORT, [IPv6]:PORT or PORT (on 127.0.0.1); ERR_USAGE naming --listen otherwise. */
export function parseListen(text: string): { host: string; port: number } {
  const match = /^(?:(\[[0-9a-fA-F:.]+\]|[^:[\]]*):)?(\d{1,5})$/.exec(text);
  const port = match === null ? Number.NaN : Number(match[2]);
  if (match === null || port > 65535) throw usageError(`--listen wants HOST:PORT (e.g. 127.0.0.1:8000, 0.0.0.0:8000, [::1]:8000), not ${JSON.stringify(text)}`);
  const host = (match[1] ?? '127.0.0.1').replace(/^\[(.*)\]$/, '$1');
  return { host: host === '' ? '0.0.0.0' : host, port };
}

/** Listens on host:port; ERR_USAGE (ERR_PERMISSION for a port below 1024) naming --listen `text` when it cannot. */
export function listen(server: Server, host: string, port: number, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      const why = error.code === 'EADDRINUSE' ? 'the address is in use (another server listens there)'
        : error.code === 'EACCES' ? 'not allowed to listen there (ports below 1024 need root)'
        : error.message;
      reject(new CairnError(error.code === 'EACCES' ? 'ERR_PERMISSION' : 'ERR_USAGE', `--listen ${text}: ${why}`, { cause: error }));
    });
    server.listen(port, host, () => resolve());
  });
}

/** Resolves with the name of the first SIGINT or SIGTERM. */
export function stopSignal(): Promise<string> {
  return new Promise((resolve) => {
    const stop = (signal: string): void => {
      process.off('SIGINT', stop).off('SIGTERM', stop);
      resolve(signal);
    };
    process.on('SIGINT', stop).on('SIGTERM', stop);
  });
}

/** Stops accepting, lets requests under way finish for up to 10 s, then cuts the rest (every write is atomic: nothing half-written stays). */
export function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    const cut = setTimeout(() => server.closeAllConnections(), 10_000);
    server.close(() => { clearTimeout(cut); resolve(); });
    server.closeIdleConnections();
  });
}
