import { fork, spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
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

/**
 * Why moto's S3 server (Python, `python3 -m moto.server`) cannot run here, or undefined when it
 * can. It is not in npm or Debian, so CI machines may lack it; where it is, it covers what s3rver
 * does not: conditional writes (`If-None-Match: *` answered with 412).
 */
export function motoUnavailable(): string | undefined {
  const probe = spawnSync('python3', ['-c', 'import moto.server, flask'], { encoding: 'utf8', timeout: 20_000 });
  return probe.status === 0 ? undefined : `moto's server is not installed (python3 -c "import moto.server": ${probe.error?.message ?? probe.stderr.trim().split('\n').at(-1)})`;
}

/** Starts moto's S3 server on a free 127.0.0.1 port with the bucket `cairn` (it takes any credentials). */
export async function startMotoServer(): Promise<Pick<S3TestServer, 'endpoint' | 'bucket' | 'credentials' | 'stop'>> {
  const port = await new Promise<number>((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
  const child = spawn('python3', ['-m', 'moto.server', '-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
  const killChild = (): void => void child.kill();
  process.once('exit', killChild); // a test process that dies leaves no server behind
  const endpoint = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    const created = await fetch(`${endpoint}/cairn`, { method: 'PUT' }).then((r) => r.ok, () => false);
    if (created) break;
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill();
      throw new Error(`moto's server did not start on ${endpoint}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    endpoint,
    bucket: 'cairn',
    credentials: { accessKeyId: 'moto', secretAccessKey: 'moto' },
    async stop() {
      process.off('exit', killChild);
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill();
      await exited;
    },
  };
}
