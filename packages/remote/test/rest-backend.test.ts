import { describe, expect, it } from 'vitest';
import { createRestBackend } from '@cairn/remote';
import { backendContract, hexName, rejection } from '../../transport/test/backend-contract.js';
import { serveFolder } from './serve-folder.js';

backendContract('rest (cairn serve over a local folder)', async () => {
  const { url } = await serveFolder();
  const backend = createRestBackend(url, { connections: 4 });
  await backend.create();
  return backend;
});

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

describe('createRestBackend', () => {
  it('names the URL without the password, and replaces the config with PUT', async () => {
    const { url } = await serveFolder();
    const backend = createRestBackend(url.replace('http://', 'http://ana:secret@'));
    expect(backend.location).toBe(`rest:${url}`);
    await backend.create();
    await backend.write('config', 'config', bytes('one'));
    await backend.replaceConfig!(bytes('two'));
    expect(await backend.read('config', 'config')).toEqual(bytes('two'));
  });

  it('reports a server that is not there as ERR_TRANSIENT naming it', async () => {
    const { url, server } = await serveFolder();
    await new Promise((resolve) => { server.closeAllConnections(); server.close(resolve); });
    const error = await rejection(createRestBackend(url).stat('data', hexName(bytes('x'))), 'ERR_TRANSIENT');
    expect(error.message).toContain(url.replace(/\/$/, ''));
  });
});
