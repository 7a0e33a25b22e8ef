import { createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { request } from 'node:http';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { parseHtpasswd } from '@cairn/remote';
import { serveFolder } from './serve-folder.js';

const sha = (text: string): string => createHash('sha256').update(text).digest('hex');

function http(method: string, url: string, body?: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers: { ...headers, ...(body !== undefined ? { 'content-length': String(Buffer.byteLength(body)) } : {}) } }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('createRestHandler', () => {
  it('speaks restic\'s protocol: create, v1 and v2 listings, ranges, 404, 416, bad names', async () => {
    const { url } = await serveFolder();
    expect((await http('POST', `${url}?create=true`)).status).toBe(200);
    const id = sha('0123456789');
    expect((await http('POST', `${url}data/${id}`, '0123456789')).status).toBe(200);
    expect((await http('GET', `${url}data/`)).body).toBe(JSON.stringify([id]));
    expect(JSON.parse((await http('GET', `${url}data/`, undefined, { accept: 'application/vnd.x.restic.rest.v2' })).body)).toEqual([{ name: id, size: 10 }]);
    const part = await http('GET', `${url}data/${id}`, undefined, { range: 'bytes=2-4' });
    expect([part.status, part.body, part.headers['content-range']]).toEqual([206, '234', 'bytes 2-4/10']);
    const tail = await http('GET', `${url}data/${id}`, undefined, { range: 'bytes=8-20' });
    expect([tail.status, tail.body]).toEqual([206, '89']);
    const past = await http('GET', `${url}data/${id}`, undefined, { range: 'bytes=10-12' });
    expect([past.status, past.headers['content-range']]).toEqual([416, 'bytes */10']);
    expect((await http('HEAD', `${url}data/${id}`)).headers['content-length']).toBe('10');
    expect((await http('GET', `${url}index/${id}`)).status).toBe(404);
    expect((await http('GET', `${url}data/..%2Fconfig`)).status).toBe(400);
    expect((await http('GET', `${url}data/%E0%A4%A`)).status).toBe(400);
    expect((await http('GET', `${url}elsewhere/${id}`)).status).toBe(404);
    const conflict = await http('POST', `${url}data/${id}`, 'other', {});
    expect([conflict.status, conflict.headers['cairn-error']]).toEqual([409, 'ERR_EXISTS']);
  });

  it('never stores a body cut short by a client that went away', async () => {
    const { url, root } = await serveFolder();
    await http('POST', `${url}?create=true`);
    const id = sha('x'.repeat(100));
    const { port } = new URL(url);
    const socket = connect(Number(port), '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write(`POST /data/${id} HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n${'x'.repeat(50)}`);
    await sleep(100);
    socket.destroy();
    await sleep(100);
    expect((await http('HEAD', `${url}data/${id}`)).status).toBe(404);
    expect((await readdir(root, { recursive: true })).filter((p) => p.includes(id) || p.includes('.tmp-'))).toEqual([]);
  });

  it('--htpasswd entries: bcrypt $2y$/$2a$/$2b$ and {SHA}; other kinds are refused naming the line', async () => {
    // As `htpasswd -B` (bcrypt, Apache writes $2y$) and `htpasswd -s` ({SHA}: base64 of SHA-1) write them.
    const bcrypt = '$05$CX1Na8bKtIuXYlV/mxLk/eWINonPc7YqYZqRn8pD5CNxjl78gqj1W';
    const check = parseHtpasswd([
      `ana:$2y${bcrypt}`, `ann:$2a${bcrypt}`, `anu:$2b${bcrypt}`, '# a comment',
      'bob:{SHA}CEo1Ae3vaEXy8eQZjsOiuBz1xrw=',
      '',
    ].join('\n'), 'htpasswd');
    for (const user of ['ana', 'ann', 'anu']) {
      expect(await check(user, 's3cret'), user).toBe(true);
      expect(await check(user, 's3cret '), user).toBe(false);
    }
    expect(await check('bob', 'sesame')).toBe(true);
    expect(await check('bob', 'Sesame')).toBe(false);
    expect(await check('eve', 'sesame')).toBe(false);
    expect(() => parseHtpasswd('carl:$apr1$abc$def\n', '/etc/x')).toThrow('/etc/x:1: the password of "carl" is hashed in a way cairn does not read');
    expect(() => parseHtpasswd('# nobody\n', '/etc/x')).toThrow('/etc/x holds no users');
  });
});
