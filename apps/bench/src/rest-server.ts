import { spawn } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CairnError } from '@cairn/core';
import type { RemoteLocation, RemoteServer } from './remote-server.js';
import { freePort, kill, waitListening } from './server-process.js';

/**
 * `cairn serve` over folders of `dir`: one process per session (the bench reads its --json stop
 * summary, whose `bytesSent` counts what it wrote to client connections), always on the same port.
 * restic's repositories go to `rclone serve restic`, a server of restic's REST protocol, on another port.
 */
export async function startRest(dir: string, cairnCli: string): Promise<RemoteServer> {
  const port = await freePort();
  const resticPort = await freePort();
  const resticRoot = join(dir, 'restic');
  await mkdir(resticRoot, { recursive: true });
  const rclone = spawn('rclone', ['serve', 'restic', resticRoot, '--addr', `127.0.0.1:${resticPort}`, '--config', '/dev/null'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let rcloneErr = '';
  rclone.stderr?.on('data', (d: Buffer) => (rcloneErr = (rcloneErr + d.toString()).slice(-2000)));
  rclone.on('error', (error) => (rcloneErr += error.message));
  await waitListening(resticPort, rclone, () => `rclone serve restic did not start: ${rcloneErr}`);
  // One cairn serve serves one folder: the repositories are folders of `dir/cairn`, served one at a time at the same port.
  return {
    kind: 'rest',
    description: 'cairn serve (a folder on the same disk as the local run)',
    counting: "cairn serve's bytesSent (bytes it wrote to client connections, headers included)",
    cairn: (name) => ({ repo: `rest:http://127.0.0.1:${port}/`, args: [], env: {}, served: join(dir, 'cairn', name) }),
    restic: (name) => ({ repo: `rest:http://127.0.0.1:${resticPort}/${name}/`, args: [], env: {}, server: 'rclone serve restic (restic\'s REST protocol)' }),
    async session<T>(location: RemoteLocation, body: () => Promise<T>) {
      if (location.served === undefined) return { value: await body(), bytesSent: undefined };
      const serve = await startServe(cairnCli, location.served, port);
      let value: T;
      try {
        value = await body();
      } catch (error) {
        await serve.stop().catch(() => 0);
        throw error;
      }
      return { value, bytesSent: await serve.stop() };
    },
    async stop() {
      await kill(rclone);
    },
  };
}

/** One `cairn serve --json` process; stop() ends it with SIGTERM and returns its bytesSent. */
async function startServe(cairnCli: string, folder: string, port: number): Promise<{ stop(): Promise<number> }> {
  await mkdir(folder, { recursive: true });
  const child = spawn(process.execPath, [cairnCli, '--repo', folder, '--json', 'serve', '--listen', `127.0.0.1:${port}`], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
  const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
  const deadline = Date.now() + 20_000;
  while (!stdout.includes('"listening"')) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill();
      throw new CairnError('ERR_IO', `cairn serve did not start on 127.0.0.1:${port}: ${stderr.trim()}`);
    }
    await sleep(20);
  }
  return {
    async stop() {
      child.kill('SIGTERM');
      const code = await exited;
      const summary = stdout.trim().split('\n').map((line) => JSON.parse(line) as { type?: string; bytesSent?: unknown }).find((m) => m.type === 'summary');
      if (code !== 0 || typeof summary?.bytesSent !== 'number') {
        throw new CairnError('ERR_IO', `cairn serve ended with code ${String(code)} and no bytesSent in its summary (a cairn without the counter?): ${stderr.trim()}`);
      }
      return summary.bytesSent;
    },
  };
}
