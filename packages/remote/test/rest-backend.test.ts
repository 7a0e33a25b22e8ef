import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createRestBackend, parseHtpasswd } from '@cairn/remote';
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

  it('maps answers to the codes a retry goes by: 401/403 ERR_PERMISSION, 5xx ERR_TRANSIENT, a silent server ERR_TRANSIENT', async () => {
    const sha = '{SHA}CEo1Ae3vaEXy8eQZjsOiuBz1xrw='; // "sesame"
    const { url } = await serveFolder({ authenticate: parseHtpasswd(`bob:${sha}\n`, 'htpasswd') });
    const id = hexName(bytes('x'));
    const denied = await rejection(createRestBackend(url, { user: 'bob', password: 'guess' }).stat('data', id), 'ERR_PERMISSION');
    expect(denied.message).toContain('401 Unauthorized');
    await rejection(createRestBackend(url, { user: 'bob', password: 'sesame' }).stat('data', id), 'ERR_NOT_FOUND');
    const appendOnly = await serveFolder({ appendOnly: true });
    const refused = await rejection(createRestBackend(appendOnly.url).remove('index', id), 'ERR_PERMISSION');
    expect(refused.message).toContain(`append-only server: refusing to delete index/${id}`);

    let answer = 503;
    const flaky = createServer((request, response) => {
      request.resume();
      if (answer === 0) return; // never answers
      response.writeHead(answer).end('busy');
    });
    await new Promise<void>((resolve) => flaky.listen(0, '127.0.0.1', resolve));
    const flakyUrl = `http://127.0.0.1:${(flaky.address() as AddressInfo).port}/`;
    try {
      expect((await rejection(createRestBackend(flakyUrl).read('data', id), 'ERR_TRANSIENT')).message).toContain('503 Service Unavailable: busy');
      answer = 0;
      const silent = await rejection(createRestBackend(flakyUrl, { timeoutMs: 200 }).write('data', id, bytes('x')), 'ERR_TRANSIENT');
      expect(silent.message).toContain('no answer for 0.2 s');
    } finally {
      flaky.closeAllConnections();
      flaky.close();
    }
  });
});
