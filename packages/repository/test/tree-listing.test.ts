import { cpSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { nameToBytes, toHex } from '@cairn/core';
import { openRepository } from '@cairn/repository';
import { createLocalBackend } from '@cairn/transport';
import { tempDir } from './helpers.js';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'fixtures');

describe('trees read in place (loadTreeListing)', () => {
  it('agree with loadTree on every tree of every golden repository (v1, v2 with references, v3 with raw names and xattrs)', async () => {
    let trees = 0;
    for (const golden of readdirSync(fixtures).filter((name) => name.startsWith('golden-'))) {
      const work = await tempDir();
      cpSync(join(fixtures, golden, 'repo'), join(work, 'repo'), { recursive: true });
      const manifest = JSON.parse(readFileSync(join(fixtures, golden, 'manifest.json'), 'utf8')) as { password?: string };
      const password = manifest.password;
      const repo = await openRepository(createLocalBackend(join(work, 'repo')), password === undefined ? {} : { password: async () => password });
      for (const [id, location] of repo.index.entries()) {
        if (location.type !== 'tree') continue;
        const where = `tree ${toHex(id)} of ${golden}`;
        const nodes = await repo.loadTree(id, where);
        const listing = await repo.loadTreeListing(id, where);
        expect(listing.length).toBe(nodes.length);
        nodes.forEach((node, i) => {
          expect(listing.name(i)).toBe(node.name);
          expect(listing.nameBytes(i)).toEqual(nameToBytes(node.name));
          expect(listing.type(i)).toBe(node.type);
          expect(listing.subtree(i)).toEqual(node.subtree);
          expect(listing.size(i)).toBe(node.size);
          expect(listing.mtimeNs(i)).toBe(node.mtimeNs);
          expect(listing.content(i)).toEqual(node.content);
          expect(listing.node(i)).toEqual(node);
        });
        trees += 1;
      }
    }
    expect(trees).toBeGreaterThanOrEqual(3);
  });
});
