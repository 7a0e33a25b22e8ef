import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

// A folder's entries() array, as the walk's saveOpenDir and prefetchFiles meet it thousands of
// times a backup. Made with Array.prototype.map, it was packed while V8 ran the mapping
// function unoptimized and holey once it had optimized it: each new kind of array those hot
// functions met made V8 drop their optimized code and compile them again (a no-op backup of
// /usr/share recompiled saveOpenDir six times). Whether an array is holey is visible only to V8's
// own intrinsics, so a child process with --allow-natives-syntax lists the folders, through the
// built package (what the CLI runs), often enough to have the listing code optimized.
const built = fileURLToPath(new URL('../dist/index.js', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'cairn-entries-shape-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const script = `
import { createLocalSource } from ${JSON.stringify(built)};
const source = createLocalSource();
const seen = { listings: 0, holey: 0, shapes: new Set() };
for (let round = 0; round < 3000; round += 1) {
  for (const path of process.argv.slice(1)) {
    const dir = await source.openDir(path, await source.lstat(path));
    const entries = await dir.entries();
    seen.listings += 1;
    if (%HasHoleyElements(entries)) seen.holey += 1;
    for (const entry of entries) seen.shapes.add(Object.keys(entry).join());
    await dir.close();
  }
}
console.log(JSON.stringify({ listings: seen.listings, holey: seen.holey, shapes: [...seen.shapes] }));
`;

describe("a local folder's entries", () => {
  it('come as a packed array of { name, stat } objects, empty or not, before and after V8 optimized the listing', () => {
    const empty = join(root, 'empty');
    const files = join(root, 'files');
    mkdirSync(empty);
    mkdirSync(files);
    for (const name of ['a', 'b', 'c']) writeFileSync(join(files, name), name);
    const out = execFileSync(process.execPath, ['--allow-natives-syntax', '--input-type=module', '-e', script, empty, files], { encoding: 'utf8' });
    expect(JSON.parse(out)).toEqual({ listings: 6000, holey: 0, shapes: ['name,stat'] });
  });
});
