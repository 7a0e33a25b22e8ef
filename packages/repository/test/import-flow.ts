/**
 * The import-flow check of a package split into rooms (folders of src/, each with a README.md whose
 * "May import:" line names the rooms it may import): shared by the tests of the packages built so.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, posix, relative, sep } from 'node:path';

/** One source file of the package: its path below src/ ("backup/walker.ts") and the specifiers it imports. */
export interface SourceFile {
  readonly path: string;
  readonly imports: readonly string[];
}

/** What a room's README allows: the rooms it may import. */
export type RoomRules = ReadonlyMap<string, ReadonlySet<string>>;

/** Every specifier a file imports or re-exports, type-only ones included. */
export function importsOf(text: string): string[] {
  const found: string[] = [];
  const pattern = /(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*'([^']+)'|import\(\s*'([^']+)'\s*\)|^\s*import\s*'([^']+)'/gm;
  for (const match of text.matchAll(pattern)) found.push(match[1] ?? match[2] ?? match[3] ?? '');
  return found.filter((spec) => spec !== '');
}

/** The .ts files below `src`, each with its imports. */
export function readSources(src: string): SourceFile[] {
  const files: SourceFile[] = [];
  const visit = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const full = join(dir, name);
      if (statSync(full).isDirectory()) visit(full);
      else if (name.endsWith('.ts')) files.push({ path: relative(src, full).split(sep).join('/'), imports: importsOf(readFileSync(full, 'utf8')) });
    }
  };
  visit(src);
  return files;
}

/** Each room's "May import:" line from its README.md. */
export function readRoomRules(src: string): Map<string, Set<string>> {
  const rules = new Map<string, Set<string>>();
  for (const name of readdirSync(src).sort()) {
    const dir = join(src, name);
    if (!statSync(dir).isDirectory()) continue;
    let readme: string;
    try {
      readme = readFileSync(join(dir, 'README.md'), 'utf8');
    } catch {
      throw new Error(`room ${name}/ has no README.md saying what it owns and what it may import`);
    }
    const line = /^May import: (.*)$/m.exec(readme);
    if (line === null) throw new Error(`${name}/README.md has no "May import:" line`);
    const allowed = (line[1] ?? '').startsWith('(') ? [] : (line[1] ?? '').split(',').map((room) => room.trim());
    rules.set(name, new Set(allowed));
  }
  return rules;
}

/** The room of a path below src/ ("backup/walker.ts" → "backup"); null at the top (the package's faces). */
function roomOf(path: string): string | null {
  const slash = path.indexOf('/');
  return slash < 0 ? null : path.slice(0, slash);
}

/** The path below src/ that a relative specifier of `from` names ("../repo/names.js" → "repo/names.ts"). */
function resolve(from: string, spec: string): string {
  return posix.normalize(posix.join(dirname(from), spec)).replace(/\.js$/, '.ts');
}

/**
 * Every import against the flow, as sentences: a room importing a room its README does not
 * allow, a room importing the package's faces, an import of a file that is not there, and every
 * cycle of files (type-only imports count).
 */
export function flowProblems(files: readonly SourceFile[], rules: RoomRules): string[] {
  const problems: string[] = [];
  const known = new Set(files.map((file) => file.path));
  const edges = new Map<string, string[]>();
  for (const file of files) {
    const from = roomOf(file.path);
    const targets: string[] = [];
    for (const spec of file.imports) {
      if (!spec.startsWith('.')) continue;
      const target = resolve(file.path, spec);
      if (!known.has(target)) {
        problems.push(`${file.path} imports ${spec}, which is no file of src/`);
        continue;
      }
      targets.push(target);
      const to = roomOf(target);
      if (from === null || from === to) continue;
      if (to === null) {
        problems.push(`${file.path} imports the package face ${target}: rooms import each other's files, never the faces`);
      } else if (!(rules.get(from)?.has(to) ?? false)) {
        problems.push(`${file.path} imports ${target}: room ${from}/ may import ${[...(rules.get(from) ?? [])].join(', ') || 'no other room'}, not ${to}/`);
      }
    }
    edges.set(file.path, targets);
  }
  problems.push(...cycles(edges).map((cycle) => `import cycle: ${cycle.join(' → ')}`));
  return problems;
}

/** Every import of another package that `dependencies` does not list (node: built-ins are always allowed), as sentences. */
export function undeclaredImports(files: readonly SourceFile[], dependencies: ReadonlySet<string>): string[] {
  return files.flatMap((file) => file.imports
    .filter((spec) => !spec.startsWith('.') && !spec.startsWith('node:'))
    .map((spec) => spec.split('/').slice(0, spec.startsWith('@') ? 2 : 1).join('/'))
    .filter((name) => !dependencies.has(name))
    .map((name) => `${file.path} imports ${name}, which package.json does not list in dependencies`));
}

/** The cycles of a graph, one per strongly connected part, each as a path that ends where it starts. */
function cycles(edges: ReadonlyMap<string, readonly string[]>): string[][] {
  const found: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const reported = new Set<string>();
  const visit = (node: string): void => {
    state.set(node, 'open');
    stack.push(node);
    for (const next of edges.get(node) ?? []) {
      const seen = state.get(next);
      if (seen === 'open') {
        const cycle = stack.slice(stack.indexOf(next));
        const key = [...cycle].sort().join(' ');
        if (!reported.has(key)) found.push([...cycle, next]);
        reported.add(key);
      }
      else if (seen === undefined) visit(next);
    }
    stack.pop();
    state.set(node, 'done');
  };
  for (const node of [...edges.keys()].sort()) if (!state.has(node)) visit(node);
  return found;
}
