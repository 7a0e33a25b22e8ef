import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A real S3-compatible server (s3rver in its own process, objects in a temporary folder) on a free 127.0.0.1 port. */
export interface S3TestServer {
  /** `http://127.0.0.1:PORT`. */
  readonly endpoint: string;
  /** A bucket that exists. */
  readonly bucket: string;
  /** The only credentials the server accepts (s3rver's fixed key pair). */
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /** The same credentials as AWS_* environment variables, for a cairn process. */
  readonly env: Record<string, string>;
  /** Bytes the server has sent to clients so far (responses, headers included): what clients downloaded. */
  bytesSent(): Promise<number>;
  /** Stops the server and removes its objects. */
  stop(): Promise<void>;
}

const MAIN = join(dirname(fileURLToPath(import.meta.url)), 's3-server-main.mjs');

/** Starts s3rver with one bucket, `cairn`, on a free port of 127.0.0.1. */
export async function startS3Server(): Promise<S3TestServer> {
  const dir = await mkdtemp(join(tmpdir(), 'cairn-s3-'));
  const child: ChildProcess = fork(MAIN, [dir], { execArgv: ['--openssl-legacy-provider'], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const next = <T>(): Promise<T> => new Promise((resolve, reject) => {
    const onExit = (code: number | null): void => reject(new Error(`the S3 test server exited (${code})`));
    child.once('exit', onExit);
    child.once('message', (message) => {
      child.off('exit', onExit);
      resolve(message as T);
    });
  });
  const { port } = await next<{ port: number }>();
  const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
  return {
    endpoint: `http://127.0.0.1:${port}`,
    bucket: 'cairn',
    credentials,
    env: { AWS_ACCESS_KEY_ID: credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey },
    async bytesSent() {
      const answer = next<{ bytes: number }>();
      child.send('bytes');
      return (await answer).bytes;
    },
    async stop() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill();
      await exited;
      await rm(dir, { recursive: true, force: true });
    },
  };
}
