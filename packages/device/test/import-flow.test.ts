import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { flowProblems, readRoomRules, readSources, undeclaredImports } from '../../repository/test/import-flow.js';

const SRC = fileURLToPath(new URL('../src', import.meta.url));

describe('@cairn/device imports', () => {
  const rules = readRoomRules(SRC);
  const files = readSources(SRC);
  const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { dependencies: Record<string, string> };

  it('go between folders one way, as each folder\'s README says (link ← repl ← board ← src/; sim/ alone), with no cycle', () => {
    expect([...rules.keys()]).toEqual(['board', 'link', 'repl', 'sim']);
    expect(files.length).toBeGreaterThan(15);
    expect(flowProblems(files, rules)).toEqual([]);
  });

  it('go only to the packages package.json lists, of cairn\'s @cairn/core alone', () => {
    expect(undeclaredImports(files, new Set(Object.keys(manifest.dependencies)))).toEqual([]);
    expect(Object.keys(manifest.dependencies).filter((name) => name.startsWith('@cairn/'))).toEqual(['@cairn/core']);
  });
});
