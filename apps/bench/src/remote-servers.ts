import { mkdir } from 'node:fs/promises';
import type { RemoteKind, RemoteServer } from './remote-server.js';
import { startRest } from './rest-server.js';
import { startS3 } from './s3-server.js';
import { startSftp } from './sftp-server.js';

/** Starts the server of `kind` with its files under `dir`. */
export async function startRemoteServer(kind: RemoteKind, dir: string, cairnCli: string): Promise<RemoteServer> {
  await mkdir(dir, { recursive: true });
  return kind === 'rest' ? startRest(dir, cairnCli) : kind === 'sftp' ? startSftp(dir) : startS3(dir);
}
