import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { createRestHandler } from '@cairn/remote';
import type { RestServerOptions } from '@cairn/remote';
import { createLocalBackend } from '@cairn/transport';
import { tempDir } from '../../transport/test/temp-dir.js';

const servers: Server[] = [];
afterAll(async () => {
  await Promise.all(servers.map((server) => new Promise((resolve) => { server.closeAllConnections(); server.close(resolve); })));
});

/** Serves a fresh local folder over the REST protocol on a free 127.0.0.1 port, closed after the test file. */
export async function serveFolder(options: RestServerOptions = {}): Promise<{ url: string; root: string; server: Server }> {
  const root = join(await tempDir(), 'repo');
  const server = createServer({ keepAliveTimeout: 30_000 }, createRestHandler(createLocalBackend(root), options));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/`, root, server };
}
