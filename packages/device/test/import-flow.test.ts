import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'src');

/** The folders each folder of src/ may import from ('' is src/ itself, which may import all). */
const ALLOWED: Record<string, readonly string[]> = {
  link: ['link'],
  repl: ['repl', 'link'],
  board: ['board', 'repl', 'link'],
  sim: ['sim'],
  '': ['', 'link', 'repl', 'board', 'sim'],
};

/** Every import specifier of a file: static (type-only included) and dynamic. */
function specifiers(text: string): string[] {
  return [...text.matchAll(/\bfrom\s+'([^']+)'|\bimport\(\s*'([^']+)'\s*\)|^import\s+'([^']+)'/gm)].map((m) => m[1] ?? m[2] ?? m[3] ?? '');
}

const room = (file: string): string => {
  const parts = relative(SRC, file).split('/');
  return parts.length > 1 ? (parts[0] ?? '') : '';
};

describe('@cairn/device imports', () => {
  it('go only to @cairn/core of cairn, and between folders one way: link ← repl ← board ← src/; sim/ stands alone', () => {
    const files = readdirSync(SRC, { recursive: true, encoding: 'utf8' }).filter((name) => name.endsWith('.ts')).map((name) => join(SRC, name));
    expect(files.length).toBeGreaterThan(15);
    const wrong: string[] = [];
    for (const file of files) {
      const from = room(file);
      const allowed = ALLOWED[from];
      if (allowed === undefined) {
        wrong.push(`${relative(SRC, file)}: a folder the flow does not name`);
        continue;
      }
      for (const spec of specifiers(readFileSync(file, 'utf8'))) {
        if (spec.startsWith('@cairn/') && spec !== '@cairn/core') wrong.push(`${relative(SRC, file)} imports ${spec}`);
        if (spec.startsWith('.')) {
          const to = room(resolve(dirname(file), spec));
          if (!allowed.includes(to)) wrong.push(`${relative(SRC, file)} imports ${spec} (${from || 'src'}/ may not import ${to || 'src'}/)`);
        }
      }
    }
    expect(wrong).toEqual([]);
  });

  it('depend on @cairn/core alone of cairn\'s packages (package.json)', () => {
    const manifest = JSON.parse(readFileSync(join(SRC, '..', 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
    expect(Object.keys(manifest.dependencies ?? {}).filter((name) => name.startsWith('@cairn/'))).toEqual(['@cairn/core']);
  });
});
