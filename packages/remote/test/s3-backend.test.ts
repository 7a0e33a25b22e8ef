import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3Backend, parseS3Location } from '@cairn/remote';
import { backendContract, hexName, listAll, rejection } from '../../transport/test/backend-contract.js';
import { startS3Server } from './s3-server.js';
import type { S3TestServer } from './s3-server.js';

let server: S3TestServer;
beforeAll(async () => {
  server = await startS3Server();
});
afterAll(async () => {
  await server.stop();
});

let made = 0;
const fresh = (prefix = `repo-${++made}/cairn`) =>
  createS3Backend({ endpoint: server.endpoint, bucket: server.bucket, prefix }, { credentials: server.credentials });

backendContract('s3 (s3rver)', async () => {
  const backend = fresh();
  await backend.create();
  return backend;
});

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

describe('s3 backend', () => {
  it('reads locations: endpoint, bucket and prefix; https unless the endpoint is loopback', () => {
    expect(parseS3Location('s3.example.com/bucket/a/b')).toEqual({ endpoint: 'https://s3.example.com', bucket: 'bucket', prefix: 'a/b' });
    expect(parseS3Location('127.0.0.1:9000/bucket')).toEqual({ endpoint: 'http://127.0.0.1:9000', bucket: 'bucket', prefix: '' });
    expect(parseS3Location('http://minio.lan:9000/bkt/x/')).toEqual({ endpoint: 'http://minio.lan:9000', bucket: 'bkt', prefix: 'x' });
    expect(parseS3Location('https://localhost/bkt')).toEqual({ endpoint: 'https://localhost', bucket: 'bkt', prefix: '' });
    expect(() => parseS3Location('host')).toThrow(/names no bucket/);
    expect(() => parseS3Location('/bucket')).toThrow(/names no endpoint/);
    expect(() => parseS3Location('host/Bad_Bucket')).toThrow(/not a valid bucket name/);
  });

  it('keeps repositories under different prefixes of one bucket apart', async () => {
    const a = fresh('shared/a');
    const b = fresh('shared/ab');
    const data = bytes('only in a');
    await a.write('snapshot', hexName(data), data);
    await a.write('config', 'config', bytes('a'));
    expect(await listAll(b, 'snapshot')).toEqual([]);
    expect(await listAll(b, 'config')).toEqual([]);
    expect(await listAll(a, 'snapshot')).toEqual([{ name: hexName(data), size: data.byteLength }]);
  });

  it('lists page after page', async () => {
    const prefix = `repo-${++made}/paged`;
    const backend = createS3Backend({ endpoint: server.endpoint, bucket: server.bucket, prefix }, { credentials: server.credentials, listPageSize: 3 });

    const names = Array.from({ length: 20 }, (_, i) => `lock-${i}`);
    await Promise.all(names.map((name) => backend.write('lock', name, bytes('l'))));
    expect((await listAll(backend, 'lock')).map((f) => f.name)).toEqual([...names].sort());
  });

  it('replaces the config only through replaceConfig', async () => {
    const backend = fresh();
    await backend.write('config', 'config', bytes('one'));
    await backend.replaceConfig?.(bytes('two'));
    expect(await backend.read('config', 'config')).toEqual(bytes('two'));
  });

  it('names a missing bucket, and creates it on create()', async () => {
    const backend = createS3Backend({ endpoint: server.endpoint, bucket: 'not-there', prefix: 'x' }, { credentials: server.credentials });
    const error = await rejection(backend.read('config', 'config'), 'ERR_NOT_REPOSITORY');
    expect(error.message).toBe(`no cairn repository at s3:${server.endpoint}/not-there: the bucket does not exist`);
    await rejection(listAll(backend, 'snapshot'), 'ERR_NOT_REPOSITORY');
    await rejection(backend.write('lock', 'l', bytes('l')), 'ERR_NOT_REPOSITORY');
    await backend.create();
    expect(await listAll(backend, 'snapshot')).toEqual([]);
  });

  it('refuses unknown credentials with ERR_PERMISSION, and an unreachable server is ERR_TRANSIENT', async () => {
    const denied = createS3Backend({ endpoint: server.endpoint, bucket: server.bucket, prefix: 'x' }, { credentials: { accessKeyId: 'nobody', secretAccessKey: 'wrong' } });
    const error = await rejection(denied.read('config', 'config'), 'ERR_PERMISSION');
    expect(error.message).toContain('InvalidAccessKeyId');
    const gone = createS3Backend({ endpoint: 'http://127.0.0.1:1', bucket: 'b', prefix: '' }, { credentials: server.credentials });
    await rejection(gone.stat('config', 'config'), 'ERR_TRANSIENT');
  });

  it('a throttling or failing server is ERR_TRANSIENT (after the SDK retries), naming the S3 error', async () => {
    let requests = 0;
    const failing = createServer((_request, response) => {
      requests += 1;
      response.writeHead(503, { 'content-type': 'application/xml' });
      response.end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>');
    });
    await new Promise<void>((resolve) => failing.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = failing.address() as AddressInfo;
      const backend = createS3Backend({ endpoint: `http://127.0.0.1:${port}`, bucket: 'b', prefix: '' }, { credentials: server.credentials });
      const error = await rejection(backend.read('config', 'config'), 'ERR_TRANSIENT');
      expect(error.message).toContain('SlowDown');
      expect(requests).toBeGreaterThan(1);
    } finally {
      failing.closeAllConnections();
      await new Promise((resolve) => failing.close(resolve));
    }
  });
});
