import { randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CairnError } from '@cairn/core';
import { createLocalTarget } from '@cairn/transport';
import { smallFs } from './small-fs.js';

describe('writeFiles on a target that fills up', () => {
  for (const [mode, wholeFileThreadFrom] of [['on the calling thread', Number.POSITIVE_INFINITY], ['on its own thread', 0]] as const) {
    it(`stops at the first full write (${mode}): that file is named ERR_NO_SPACE and removed, the ones after it get no result`, { timeout: 60_000 }, async (context) => {
      const mnt = await smallFs('1m');
      if (mnt === undefined) {
        context.skip('cannot mount a size-limited tmpfs (needs root)');
        return;
      }
      const target = createLocalTarget(join(mnt, 'out'), { wholeFileThreadFrom });
      await target.mkdir(['d']);
      const data = Array.from({ length: 12 }, () => randomBytes(200_000));
      const results = await target.writeFiles!(data.map((bytes, i) => ({ path: ['d', `big${i}`], data: bytes, metadata: undefined, fresh: true })));
      expect(results.length).toBeGreaterThan(1);
      expect(results.length).toBeLessThan(12);
      expect(results.slice(0, -1).every((r) => r === undefined)).toBe(true);
      expect((results.at(-1) as CairnError).code).toBe('ERR_NO_SPACE');
      const written = (await readdir(join(mnt, 'out', 'd'))).filter((name) => name.startsWith('big')).sort();
      expect(written).toEqual(Array.from({ length: results.length - 1 }, (_, i) => `big${i}`).sort());
      for (const name of written) expect(await readFile(join(mnt, 'out', 'd', name))).toEqual(data[Number(name.slice(3))]);
    });
  }
});
