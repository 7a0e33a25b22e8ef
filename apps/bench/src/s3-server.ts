import { fork } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CairnError } from '@cairn/core';
import type { RemoteLocation, RemoteServer } from './remote-server.js';
import { kill } from './server-process.js';

/**
 * s3rver (an S3-compatible server from npm, objects in files) in its own process, one bucket for
 * cairn's and restic's repositories (each under its own prefix); the process counts what it
 * wrote to client connections.
 */
export async function startS3(dir: string): Promise<RemoteServer> {
  const main = join(dirname(fileURLToPath(import.meta.url)), 's3-server-main.js');
  const child = fork(main, [dir], { execArgv: ['--openssl-legacy-provider'], stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
  const next = <T>(): Promise<T> => new Promise((resolve, reject) => {
    const onExit = (code: number | null): void => reject(new CairnError('ERR_IO', `the S3 server (s3rver) exited (${String(code)}): ${stderr.trim()}`));
    child.once('exit', onExit);
    child.once('message', (message) => {
      child.off('exit', onExit);
      resolve(message as T);
    });
  });
  const { port } = await next<{ port: number }>();
  const endpoint = `http://127.0.0.1:${port}`;
  const env = { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_REGION: 'us-east-1' };
  const bytes = async (): Promise<number> => {
    const answer = next<{ bytes: number }>();
    child.send('bytes');
    return (await answer).bytes;
  };
  return {
    kind: 's3',
    description: `s3rver ${endpoint} (npm; objects in files on the same disk)`,
    counting: 'bytes s3rver wrote to client connections (headers included)',
    cairn: (name) => ({ repo: `s3:${endpoint}/bench/cairn-${name}`, args: [], env }),
    restic: (name) => ({ repo: `s3:${endpoint}/bench/restic-${name}`, args: [], env, server: 'the same s3rver' }),
    // restic 0.14's init works, its first backup fails: "Fatal: Unmarshal: invalid character 'b' after top-level value".
    resticLeftOut: 'restic cannot back up to s3rver (its first backup fails reading what the server answers)',
    async session<T>(_location: RemoteLocation, body: () => Promise<T>) {
      const before = await bytes();
      const value = await body();
      return { value, bytesSent: (await bytes()) - before };
    },
    async stop() {
      await kill(child);
    },
  };
}
