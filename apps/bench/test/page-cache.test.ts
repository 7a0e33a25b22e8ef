import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../../packages/repository/test/helpers.js';
import { warmPageCache } from '../src/page-cache.js';

describe('warmPageCache', () => {
  it('reads every regular file below a folder once, through subfolders, and counts the bytes', async () => {
    const dir = await tempDir();
    await mkdir(join(dir, 'a', 'b'), { recursive: true });
    await writeFile(join(dir, 'one'), Buffer.alloc(3 * 1024 * 1024 + 5, 1));
    await writeFile(join(dir, 'a', 'b', 'two'), 'hello');
    await writeFile(join(dir, 'a', 'empty'), '');
    expect(await warmPageCache(dir)).toBe(3 * 1024 * 1024 + 10);
  });
});
