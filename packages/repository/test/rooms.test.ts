import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { flowProblems, importsOf, readRoomRules, readSources, undeclaredImports } from './import-flow.js';

const SRC = fileURLToPath(new URL('../src', import.meta.url));

describe('the engine rooms', () => {
  const rules = readRoomRules(SRC);
  const files = readSources(SRC);

  it('every file lives in a room but the entry points, and every room says what it owns and may import', () => {
    expect([...rules.keys()]).toEqual(['backup', 'check', 'copy', 'inspect', 'locks', 'maintenance', 'repo', 'restore', 'tree', 'write']);
    const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { exports: Record<string, Record<string, string>> };
    const entries = Object.values(manifest.exports).map((entry) => (entry['@cairn/source'] ?? '').replace(/^\.\/src\//, '')).sort();
    expect(files.filter((file) => !file.path.includes('/')).map((file) => file.path).sort()).toEqual(entries);
    for (const [room, allowed] of rules) {
      for (const other of allowed) expect(rules.has(other), `${room}/README.md allows an unknown room ${other}`).toBe(true);
    }
  });

  it('the rooms allow each other one way only (repo ← tree ← write ← the activities)', () => {
    const reaches = (from: string, to: string, seen = new Set<string>()): boolean =>
      [...(rules.get(from) ?? [])].some((next) => next === to || (!seen.has(next) && (seen.add(next), reaches(next, to, seen))));
    for (const room of rules.keys()) expect(reaches(room, room), `room ${room}/ can reach itself through the rules`).toBe(false);
    expect([...(rules.get('repo') ?? [])]).toEqual([]);
  });

  it('no import goes against the flow and no files import each other in a loop', () => {
    expect(flowProblems(files, rules)).toEqual([]);
  });

  it('the engine imports the packages it depends on and no other (no transport, no VCS)', () => {
    const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { dependencies: Record<string, string> };
    expect(undeclaredImports(files, new Set(Object.keys(manifest.dependencies)))).toEqual([]);
  });

  it('the check fails on a back-edge, a room not allowed, and a type-only cycle', () => {
    const sources = [
      { path: 'repo/snapshots.ts', imports: ["import type { X } from '../backup/archiver.js'"].flatMap(importsOf) },
      { path: 'backup/archiver.ts', imports: ["import { a } from '../repo/snapshots.js'"].flatMap(importsOf) },
      { path: 'inspect/ls.ts', imports: ["export { b } from '../write/pack-writer.js'"].flatMap(importsOf) },
      { path: 'write/pack-writer.ts', imports: [] },
    ];
    const problems = flowProblems(sources, new Map([['repo', new Set<string>()], ['backup', new Set(['repo'])], ['inspect', new Set(['repo'])], ['write', new Set(['repo'])]]));
    expect(problems).toEqual([
      'repo/snapshots.ts imports backup/archiver.ts: room repo/ may import no other room, not backup/',
      'inspect/ls.ts imports write/pack-writer.ts: room inspect/ may import repo, not write/',
      'import cycle: backup/archiver.ts → repo/snapshots.ts → backup/archiver.ts',
    ]);
  });
});
