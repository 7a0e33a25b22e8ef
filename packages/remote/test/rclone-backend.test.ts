import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createRcloneBackend } from '@cairn/remote';
import { backendContract, hexName, rejection } from '../../transport/test/backend-contract.js';
import { tempDir } from '../../transport/test/temp-dir.js';

// rclone's local remote, named inline (":local:"), so no rclone config is needed.
const rcloneArgs = ['--config', '/dev/null'];

backendContract('rclone (serve restic --stdio over :local:)', async () => {
  const backend = createRcloneBackend(`:local:${join(await tempDir(), 'repo')}`, { args: rcloneArgs });
  await backend.create();
  return backend;
});

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

describe('createRcloneBackend', () => {
  it('replaces a partial upload of a content-addressed file (rclone writes in place), never other content', async () => {
    const root = join(await tempDir(), 'repo');
    const backend = createRcloneBackend(`:local:${root}`, { args: rcloneArgs });
    await backend.create();
    const data = bytes('the whole pack, of which rclone wrote a part before it died');
    const id = hexName(data);
    await mkdir(join(root, 'data', id.slice(0, 2)), { recursive: true });
    await writeFile(join(root, 'data', id.slice(0, 2), id), data.subarray(0, 10));
    await backend.write('data', id, data);
    expect(await backend.read('data', id)).toEqual(data);
    await rejection(backend.write('data', id, bytes('other bytes under that name')), 'ERR_EXISTS');
    expect(await readFile(join(root, 'data', id.slice(0, 2), id))).toEqual(Buffer.from(data));
  });

  it('says clearly when the remote does not exist, and when rclone is not installed', async () => {
    const missingRemote = createRcloneBackend('nosuchremote:repo', { args: rcloneArgs });
    const error = await rejection(missingRemote.stat('config', 'config'), 'ERR_USAGE');
    expect(error.message).toMatch(/^rclone:nosuchremote:repo: rclone serve restic exited with status 1: .*nosuchremote/);
    const noProgram = createRcloneBackend(':local:/tmp', { program: 'rclone-not-installed-here' });
    const missing = await rejection(noProgram.stat('config', 'config'), 'ERR_UNSUPPORTED');
    expect(missing.message).toContain('"rclone-not-installed-here" is not installed');
  });
});
