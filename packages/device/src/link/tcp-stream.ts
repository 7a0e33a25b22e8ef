import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { CairnError } from '@cairn/core';

/** Connects to a board behind a network bridge (a serial-to-TCP server such as ser2net or socat) at `host`:`port`. */
export async function openTcpStream(host: string, port: number, timeoutMs: number): Promise<Socket> {
  if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new RangeError(`a TCP port must be within 1..65535, got ${String(port)}`);
  const socket = connect({ host, port });
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new CairnError('ERR_TRANSIENT', `tcp:${host}:${port} did not accept a connection within ${timeoutMs / 1000} s`)), timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        resolve();
      });
      socket.once('error', (error: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        const code = error.code === 'ECONNREFUSED' || error.code === 'EHOSTUNREACH' || error.code === 'ETIMEDOUT' ? 'ERR_TRANSIENT' : error.code === 'ENOTFOUND' ? 'ERR_NOT_FOUND' : 'ERR_IO';
        reject(new CairnError(code, `cannot connect to tcp:${host}:${port}: ${error.message}`, { cause: error, hint: 'check that the bridge to the board runs and listens on that port' }));
      });
    });
  } catch (error) {
    socket.destroy();
    throw error;
  }
  socket.setNoDelay(true);
  return socket;
}
