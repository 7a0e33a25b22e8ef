import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isCairnError } from '@cairn/core';
import { createDeviceSource, createDeviceTarget } from '@cairn/device';
import type { Device } from '@cairn/device';
import { parsePyBytes, pyBytes } from '../src/repl/wire-codec.js';
import { seededBytes, simDevice } from './device-helpers.js';

async function* once(data: Uint8Array): AsyncGenerator<Uint8Array> {
  yield data;
}

async function readBack(device: Device, path: string): Promise<Buffer> {
  const pieces: Buffer[] = [];
  for await (const piece of device.fs.read(path)) pieces.push(piece);
  return Buffer.concat(pieces);
}

const sha = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');

describe('the board filesystem through the helper', () => {
  it('reads the bytes repr MicroPython prints, in both quote styles', async () => {
    const device = await simDevice();
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const printed = (await device.repl.exec('print(repr(bytes(range(256))))', 'printing bytes')).toString().trim();
    expect(parsePyBytes(printed)).toEqual(all);
    const quoted = (await device.repl.exec(`print(repr(b"it's"))`, 'printing bytes')).toString().trim();
    expect(quoted).toBe(`b"it's"`);
    expect(parsePyBytes(quoted).toString()).toBe("it's");
    expect((await device.repl.exec(`print(${pyBytes(all)}==bytes(range(256)))`, 'a literal')).toString().trim()).toBe('True');
  });

  it('writes and reads back files of every shape, in every encoding, and the board hashes them the same', async () => {
    const device = await simDevice({}, { chunkSize: 1024 });
    const files: [string, Buffer][] = [
      ['/empty', Buffer.alloc(0)],
      ['/exact', seededBytes(1024, 2)],
      ['/one-more', seededBytes(1025, 3)],
      ['/text.py', Buffer.from('def f(x):\n    return "it\'s \\\\ fine"\n'.repeat(100))],
      ['/every-byte', Buffer.from(Array.from({ length: 4096 }, (_, i) => i % 256))],
    ];
    for (const [path, data] of files) {
      const before = device.wire.sent;
      expect(await device.fs.writeFile(`${path}.part`, path, once(data))).toBe(data.byteLength);
      if (path === '/text.py') expect(device.wire.sent - before).toBeLessThan(data.byteLength / 2); // deflated on the way
      expect(sha(await readBack(device, path))).toBe(sha(data));
      expect(Buffer.from(await device.fs.hash(path)).toString('hex')).toBe(sha(data));
      expect((await device.fs.stat(path)).size).toBe(data.byteLength);
    }
  });

  it('sends base64 when asked, and hex by default on the WebAssembly port', async () => {
    const data = seededBytes(3000, 9);
    const hex = await simDevice();
    await hex.fs.writeFile('/f.part', '/f', once(data));
    let received = hex.wire.received;
    expect(sha(await readBack(hex, '/f'))).toBe(sha(data));
    expect(hex.wire.received - received).toBeGreaterThan(2 * data.byteLength);

    const base64 = await simDevice({}, { readEncoding: 'base64' });
    expect(base64.info.sendsBase64).toBe(true);
    await base64.fs.writeFile('/f.part', '/f', once(data));
    received = base64.wire.received;
    expect(sha(await readBack(base64, '/f'))).toBe(sha(data));
    expect(base64.wire.received - received).toBeLessThan(1.4 * data.byteLength);
  });

  it('lists names with spaces, unicode and line breaks', async () => {
    const device = await simDevice();
    const names = ['with space.txt', 'ünï 日本.py', 'line\nbreak'];
    for (const name of names) await device.fs.writeFile(`/.${names.indexOf(name)}`, `/${name}`, once(Buffer.from(name)));
    const source = createDeviceSource(device);
    expect(await source.readdir('/')).toEqual([...names].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))));
    for (const name of names) {
      const stat = await source.lstat(`/${name}`);
      expect(stat.size).toBe(Buffer.byteLength(name));
    }
  });

  it('answers bad requests with coded errors naming the path', async () => {
    const device = await simDevice();
    await device.fs.mkdir('/dir');
    await device.fs.writeFile('/file.part', '/file', once(Buffer.from('x')));
    const source = createDeviceSource(device);
    const folder = await source.openFile('/dir').catch((e: unknown) => e);
    expect(isCairnError(folder, 'ERR_UNSUPPORTED')).toBe(true);
    expect((folder as Error).message).toBe('/dir on the board at sim is a dir, not a regular file');
    const missing = await source.lstat('/nope').catch((e: unknown) => e);
    expect(isCairnError(missing, 'ERR_NOT_FOUND')).toBe(true);
    expect((missing as Error).message).toBe('the board at sim: reading the metadata of /nope: no such file or folder (ENOENT)');

    const target = createDeviceTarget(device);
    const onFile = await target.mkdir(['file']).catch((e: unknown) => e);
    expect(isCairnError(onFile, 'ERR_EXISTS')).toBe(true);
    const link = await target.symlink(['l'], 'file').catch((e: unknown) => e);
    expect(isCairnError(link, 'ERR_UNSUPPORTED')).toBe(true);
    await expect(target.writeFile(['..'], once(Buffer.from('x')))).rejects.toThrow(TypeError);
    expect(await target.lstat(['nope'])).toBeNull();
    await target.link(['file'], ['copy']);
    expect((await readBack(device, '/copy')).toString()).toBe('x');
    await target.remove(['dir']);
    expect(await target.lstat(['dir'])).toBeNull();
  });
});
