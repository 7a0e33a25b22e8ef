import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { VERSION } from '@cairn/repository';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

describe('package versions', () => {
  it('every workspace package carries the program version that snapshots record', () => {
    const manifests = ['packages', 'apps'].flatMap((group) =>
      readdirSync(join(root, group)).map((name) => join(root, group, name, 'package.json')));
    const versions = manifests.map((file) => [file.slice(root.length + 1), (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version]);
    expect(versions.length).toBeGreaterThan(10);
    expect(versions.filter(([, version]) => version !== VERSION)).toEqual([]);
  });
});
