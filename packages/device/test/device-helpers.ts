import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { openDevice } from '@cairn/device';
import type { Device, DeviceOptions, SimBoardOptions } from '@cairn/device';
import { seededBytes } from '../../repository/test/helpers.js';

export { seededBytes };

const open: Device[] = [];

/** A device on a freshly simulated MicroPython board (closed after the test). */
export async function simDevice(sim: SimBoardOptions = {}, options: Partial<DeviceOptions> = {}): Promise<Device> {
  const device = await openDevice({ port: 'sim', timeoutMs: 5000, ...options, sim });
  open.push(device);
  // The WebAssembly port's b2a_base64 takes ~60 µs a byte: the board must have chosen hex.
  if (options.readEncoding === undefined && device.info.sendsBase64) throw new Error('the simulated board chose base64 for its output');
  return device;
}

afterEach(async () => {
  await Promise.all(open.splice(0).map((device) => device.close().catch(() => undefined)));
});

/** The tree the issue names: nested folders, every byte value, an empty file, a 200 KB file, text. */
export async function seedBoardTree(root: string, bigSize = 200 * 1024): Promise<void> {
  await mkdir(join(root, 'lib', 'drivers', 'deep'), { recursive: true });
  await mkdir(join(root, 'empty-dir'));
  await writeFile(join(root, 'main.py'), 'import drivers\nprint("hello from the board")\n');
  await writeFile(join(root, 'boot.py'), '# boot\n');
  await writeFile(join(root, 'lib', 'every-byte.bin'), Buffer.from(Array.from({ length: 512 }, (_, i) => i % 256)));
  await writeFile(join(root, 'lib', 'empty.txt'), '');
  await writeFile(join(root, 'lib', 'big.bin'), seededBytes(bigSize, 5));
  await writeFile(join(root, 'lib', 'drivers', 'sensor.py'), 'class Sensor:\n    def read(self):\n        return 42\n'.repeat(20));
  await writeFile(join(root, 'lib', 'drivers', 'deep', 'näme with space.txt'), 'ünïcode\n');
}

/** The bytes of all files below `root`. */
export async function localBytes(root: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(root, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) total += (await stat(join(entry.parentPath, entry.name))).size;
  }
  return total;
}

/** Every file (path -> sha256) and folder (path -> 'dir') below `root`. */
export async function localTree(root: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const visit = async (rel: string): Promise<void> => {
    for (const entry of await readdir(join(root, rel), { withFileTypes: true })) {
      const path = rel === '' ? entry.name : `${rel}/${entry.name}`;
      if (entry.isDirectory()) {
        out.set(path, 'dir');
        await visit(path);
      } else {
        out.set(path, createHash('sha256').update(await readFile(join(root, path))).digest('hex'));
      }
    }
  };
  await visit('');
  return out;
}

/** Every file (path -> sha256 computed by the board) and folder below `root` of a board. */
export async function boardTree(device: Device, root = '/'): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const listing = await device.fs.list(root, true);
  for (const [folder, entries] of listing) {
    for (const entry of entries) {
      const full = folder === '/' ? `/${entry.name}` : `${folder}/${entry.name}`;
      const rel = full.slice(root === '/' ? 1 : root.length + 1);
      if (entry.stat?.type === 'dir') out.set(rel, 'dir');
      else out.set(rel, Buffer.from(await device.fs.hash(full)).toString('hex'));
    }
  }
  return out;
}
