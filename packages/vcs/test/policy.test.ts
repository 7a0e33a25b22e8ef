import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { PolicyOptions } from '@cairn/vcs';
import { classifyName } from '../src/policy/classify.js';
import { createPolicy } from '../src/policy/policy.js';
import { presetsFor, STACK_PRESETS } from '../src/policy/presets.js';
import picomatch from 'picomatch';
import type { Policy } from '../src/policy/policy.js';
import { tempDir, writeFiles } from './helpers.js';

/** A tree with several stacks side by side, nested .gitignore files and secrets. */
async function makeTree(): Promise<string> {
  const root = await tempDir();
  await writeFiles(root, {
    'package.json': '{}\n',
    '.gitignore': '*.log\n.env\nsecrets/\n',
    '.env': 'TOKEN=1\n',
    'debug.log': 'noise\n',
    'src/index.ts': 'export {};\n',
    'src/dist/keep.ts': 'not build output: dist is only generated next to package.json\n',
    'dist/app.js': 'built\n',
    'node_modules/left-pad/index.js': 'x\n',
    'node_modules/patched/index.js': 'x\n',
    'images/logo.png': 'png\n',
    'secrets/server.key': 'key\n',
    'secrets/notes.txt': 'notes\n',
    'web/package.json': '{}\n',
    'web/.next/cache/x': 'x\n',
    'web/coverage/lcov.info': 'x\n',
    'services/api/pyproject.toml': '[project]\n',
    'services/api/.gitignore': '!keep.log\n*.tmp\n',
    'services/api/keep.log': 'kept by a negation\n',
    'services/api/scratch.tmp': 'x\n',
    'services/api/.venv/lib/site.py': 'x\n',
    'services/api/app/main.py': 'print()\n',
    'services/api/app/util.pyc': 'x\n',
    'services/api/app/__pycache__/main.cpython-312.pyc': 'x\n',
    'crates/core/Cargo.toml': '[package]\n',
    'crates/core/target/debug/core': 'x\n',
    'crates/core/src/lib.rs': 'x\n',
    'dotnet/App.csproj': '<Project/>\n',
    'dotnet/bin/Debug/App.dll': 'x\n',
    'dotnet/obj/project.assets.json': 'x\n',
    'native/CMakeLists.txt': 'x\n',
    'native/build/out.o': 'x\n',
    'jvm/build.gradle': 'x\n',
    'jvm/.gradle/cache': 'x\n',
    'jvm/build/classes/A.class': 'x\n',
    'gomod/go.mod': 'module x\n',
    'gomod/vendor/x/y.go': 'package y\n',
  });
  return root;
}

async function decisions(policy: Policy, paths: readonly string[]) {
  const out: Record<string, string> = {};
  for (const path of paths) {
    const kind = path.endsWith('/') ? 'dir' : 'file';
    const decision = await policy.decide(kind === 'dir' ? path.slice(0, -1) : path, kind);
    out[path] = `${decision.action} ${decision.class} ${decision.rule}`;
  }
  return out;
}

describe('policy presets', () => {
  it('classes and skips per stack, each preset below its own marker', async () => {
    const root = await makeTree();
    const policy = createPolicy(root);
    expect(await decisions(policy, [
      'node_modules/', 'node_modules/left-pad/index.js', 'dist/', 'dist/app.js', 'src/', 'src/index.ts', 'src/dist/', 'src/dist/keep.ts',
      'web/.next/', 'web/coverage/', 'services/api/.venv/', 'services/api/app/__pycache__/', 'services/api/app/util.pyc',
      'services/api/app/main.py', 'crates/core/target/', 'crates/core/src/lib.rs', 'dotnet/bin/', 'dotnet/obj/', 'native/build/',
      'jvm/build/', 'jvm/.gradle/', 'gomod/vendor/x/y.go', 'images/logo.png', 'package.json',
    ])).toEqual({
      'node_modules/': 'skip dependency preset',
      'node_modules/left-pad/index.js': 'skip dependency preset',
      'dist/': 'skip generated preset',
      'dist/app.js': 'skip generated preset',
      'src/': 'store source default',
      'src/index.ts': 'store source default',
      'src/dist/': 'store source default',
      'src/dist/keep.ts': 'store source default',
      'web/.next/': 'skip generated preset',
      'web/coverage/': 'skip generated preset',
      'services/api/.venv/': 'skip dependency preset',
      'services/api/app/__pycache__/': 'skip generated preset',
      'services/api/app/util.pyc': 'skip generated preset',
      'services/api/app/main.py': 'store source default',
      'crates/core/target/': 'skip generated preset',
      'crates/core/src/lib.rs': 'store source default',
      'dotnet/bin/': 'skip generated preset',
      'dotnet/obj/': 'skip generated preset',
      'native/build/': 'skip generated preset',
      'jvm/build/': 'skip generated preset',
      'jvm/.gradle/': 'skip generated preset',
      'gomod/vendor/x/y.go': 'store source default',
      'images/logo.png': 'store asset default',
      'package.json': 'store config default',
    });
    const reason = (await policy.decide('web/.next', 'dir')).reason;
    expect(reason).toBe('node preset (web/package.json): .next is generated');
    // Below two markers (package.json at the root, Cargo.toml in crates/core), decided without waiting in walk order: the outer preset's rule still covers.
    const walked = createPolicy(root, { fs: { readdir: async () => [], readText: async () => null, readdirSync: (path) => readdirSync(path), readTextSync: () => null } });
    for (const folder of ['', 'crates', 'crates/core']) walked.decideNow(folder === '' ? 'x' : `${folder}/x`);
    expect(walked.decideNow('crates/core/target', 'dir')?.reason).toBe('rust preset (crates/core/Cargo.toml): target is generated');
    expect(walked.decideNow('crates/core/node_modules', 'dir')?.reason).toMatch(/^node preset \(package\.json\): /);
    // And below two .gitignore files: the outer one's rules still apply, the inner one's negation too.
    const read = (path: string): string | null => {
      try {
        return readFileSync(path, 'utf8');
      } catch {
        return null;
      }
    };
    const ignoring = createPolicy(root, { fs: { readdir: async () => [], readText: async () => null, readdirSync: (path) => readdirSync(path), readTextSync: read } });
    expect(ignoring.decideNow('services/api/app/main.py')?.action).toBe('store');
    expect(ignoring.decideNow('services/api/app/other.log')?.reason).toBe('ignored by .gitignore ("*.log")');
    expect(ignoring.decideNow('services/api/keep.log')?.rule).toBe('default');
    expect(ignoring.decideNow('services/api/scratch.tmp')?.reason).toMatch(/^ignored by services\/api\/\.gitignore \("\*\.tmp"\)/);
  });

  it('applies nested .gitignore files and keeps ignored secrets, never silently skipping', async () => {
    const root = await makeTree();
    const policy = createPolicy(root);
    expect(await decisions(policy, ['.env', 'debug.log', 'services/api/keep.log', 'services/api/scratch.tmp', 'secrets/', 'secrets/server.key', 'secrets/notes.txt'])).toEqual({
      '.env': 'store config secret',
      'debug.log': 'skip generated gitignore',
      'services/api/keep.log': 'store source default',
      'services/api/scratch.tmp': 'skip generated gitignore',
      'secrets/': 'store generated gitignore',
      'secrets/server.key': 'store config secret',
      'secrets/notes.txt': 'skip generated gitignore',
    });
    expect((await policy.decide('debug.log')).reason).toBe('ignored by .gitignore ("*.log")');
    expect((await policy.decide('services/api/scratch.tmp')).reason).toBe('ignored by services/api/.gitignore ("*.tmp")');
    const strict = createPolicy(root, { keepIgnoredSecrets: false });
    expect(await decisions(strict, ['.env', 'secrets/'])).toEqual({ '.env': 'skip generated gitignore', 'secrets/': 'skip generated gitignore' });
    expect((await createPolicy(root, { gitignore: false }).decide('debug.log')).action).toBe('store');
  });
});

describe('policy globs and options', () => {
  it('lets user globs override presets, both ways', async () => {
    const root = await makeTree();
    const options: PolicyOptions = { include: ['dist/**', 'node_modules/patched/**'], exclude: ['*.png', 'src/dist'] };
    const policy = createPolicy(root, options);
    expect(await decisions(policy, [
      'dist/', 'dist/app.js', 'node_modules/', 'node_modules/left-pad/', 'node_modules/patched/index.js', 'images/logo.png', 'src/dist/', 'src/dist/keep.ts',
    ])).toEqual({
      'dist/': 'store generated include',
      'dist/app.js': 'store generated include',
      'node_modules/': 'store dependency preset',
      'node_modules/left-pad/': 'skip dependency preset',
      'node_modules/patched/index.js': 'store dependency include',
      'images/logo.png': 'skip asset exclude',
      'src/dist/': 'skip source exclude',
      'src/dist/keep.ts': 'skip source exclude',
    });
    expect((await policy.decide('images/logo.png')).reason).toBe('excluded by the glob "*.png"');
    // An include wins over an exclude.
    const both = createPolicy(root, { include: ['images/logo.png'], exclude: ['images'] });
    expect((await both.decide('images/logo.png')).action).toBe('store');
  });

  it('keeps skipped classes only when asked, and applies only the named presets', async () => {
    const root = await makeTree();
    expect((await createPolicy(root, { skipClasses: [] }).decide('node_modules', 'dir')).action).toBe('store');
    const pythonOnly = createPolicy(root, { presets: ['python'] });
    expect((await pythonOnly.decide('node_modules', 'dir')).action).toBe('store');
    expect((await pythonOnly.decide('services/api/.venv', 'dir')).action).toBe('skip');
    expect((await createPolicy(root, { presets: false }).decide('services/api/.venv', 'dir')).action).toBe('store');
  });

  it('rejects bad options and bad paths', async () => {
    const root = await tempDir();
    expect(() => createPolicy(root, { include: 'x' as unknown as string[] })).toThrow(/options\.include must be an array/);
    expect(() => createPolicy(root, { presets: ['cobol' as 'node'] })).toThrow(/options\.presets/);
    expect(() => createPolicy(root, { skipClasses: ['junk' as 'source'] })).toThrow(TypeError);
    expect(() => createPolicy('')).toThrow(TypeError);
    const policy = createPolicy(root);
    await expect(policy.decide('../etc/passwd')).rejects.toThrow(RangeError);
    await expect(policy.decide('/abs')).rejects.toThrow(RangeError);
    await expect(policy.decide('a', 'pipe' as 'file')).rejects.toThrow(RangeError);
  });

  it('classes files by name', () => {
    expect(['main.rs', 'README.md', 'tsconfig.json', 'Dockerfile', '.env.local', '.eslintrc', 'font.woff2', 'photo.JPG', 'src'].map(classifyName)).toEqual([
      'source', 'source', 'config', 'config', 'config', 'config', 'asset', 'asset', 'source',
    ]);
    // By the extension alone only when no whole-name rule could apply: the same class as by the lowercased whole name.
    const names = [
      'DATA.JSON', 'LICENSE', 'License.txt', 'Makefile', 'makefile.am', 'a.Makefile', 'GNUmakefile', '.npmrc', '.NPMRC', '.Env.prod', '.bashrc',
      '.config', '.png', 'x.PNG', 'archive.tar.gz', 'a.', '.', 'a.b.c.yml', 'Dockerfile.dev', 'codeowners', 'CODEOWNERS.bak', 'x.env', 'x.rc',
    ];
    expect(names.map(classifyName)).toEqual(names.map(classifiedByWholeName));
    expect(names.map(classifyName)).toEqual([
      'config', 'config', 'source', 'config', 'source', 'source', 'source', 'config', 'config', 'config', 'config',
      'config', 'asset', 'asset', 'asset', 'source', 'source', 'config', 'source', 'config', 'source', 'config', 'source',
    ]);
  });

  it('refuses paths with a "." or ".." part, and only those', async () => {
    const policy = createPolicy(await tempDir(), { fs: { readdir: async () => [], readText: async () => null, readdirSync: () => [], readTextSync: () => null } });
    for (const path of ['.', '..', './a', '../a', 'a/.', 'a/..', 'a/./b', 'a/../b', '/a', 'a/', 'a//b']) {
      expect(() => policy.decideNow(path), path).toThrow(RangeError);
    }
    for (const path of ['.a', 'a/.b', '.a/..b', 'a..', 'a/b.', '...', 'a/.../b', 'x.y/z']) expect(policy.decideNow(path), path).toBeDefined();
  });
});

describe('policy decisions without waiting', () => {
  it('decideNow waits for nothing: undefined until decide read the folders a path needs, then the same answers as decide', async () => {
    const root = await makeTree();
    const paths = [
      'node_modules/', 'node_modules/left-pad/index.js', 'dist/app.js', 'src/index.ts', 'src/dist/keep.ts', 'web/.next/', 'services/api/keep.log',
      'services/api/scratch.tmp', 'services/api/app/util.pyc', 'services/api/app/main.py', 'secrets/', 'secrets/notes.txt', '.env', 'debug.log',
      'crates/core/target/', 'gomod/vendor/x/y.go', 'images/logo.png',
    ];
    const fresh = await decisions(createPolicy(root), paths);
    const policy = createPolicy(root);
    const now: Record<string, string> = {};
    for (const path of paths) {
      const kind = path.endsWith('/') ? 'dir' : 'file';
      const rel = kind === 'dir' ? path.slice(0, -1) : path;
      let decision = policy.decideNow(rel, kind);
      if (decision === undefined) {
        await policy.decide(rel, kind);
        decision = policy.decideNow(rel, kind);
      }
      if (decision === undefined) throw new Error(`${path} undecided after decide`);
      now[path] = `${decision.action} ${decision.class} ${decision.rule}`;
    }
    expect(now).toEqual(fresh);
    expect(createPolicy(root).decideNow('src/index.ts')).toBeUndefined();
    // Once decide read src/ and the .gitignore files above it, its other entries are decided at once.
    const warm = createPolicy(root);
    await warm.decide('src/index.ts');
    expect(warm.decideNow('src/other.ts')?.rule).toBe('default');
    expect(() => warm.decideNow('../etc/passwd')).toThrow(RangeError);
  });

  it('decideNow answers from the start when the fs reads without waiting', async () => {
    const root = await tempDir();
    await writeFiles(root, { '.gitignore': '*.log\n', 'package.json': '{}\n', 'node_modules/x.js': 'x\n', 'src/a.ts': 'x\n', 'src/debug.log': 'x\n' });
    const { readdirSync, readFileSync } = await import('node:fs');
    const readdirNow = (path: string): string[] => readdirSync(path);
    const readTextNow = (path: string): string | null => {
      try {
        return readFileSync(path, 'utf8');
      } catch {
        return null;
      }
    };
    const fs = { readdir: async (path: string) => readdirNow(path), readText: async (path: string) => readTextNow(path), readdirSync: readdirNow, readTextSync: readTextNow };
    const policy = createPolicy(root, { fs });
    for (const [path, kind] of [['node_modules', 'dir'], ['src', 'dir'], ['src/a.ts', 'file'], ['src/debug.log', 'file']] as const) {
      expect(policy.decideNow(path, kind)).toEqual(await createPolicy(root).decide(path, kind));
    }
  });
});

describe('policy decisions in folders no rule reaches', () => {
  it('are the same whether decided one by one by fresh policies or in walk order by one', async () => {
    const root = await tempDir();
    await writeFiles(root, {
      'docs/a.md': 'x\n', 'docs/img.png': 'x\n', 'lib/x.c': 'x\n', 'app/package.json': '{}\n', 'app/node_modules/y.js': 'x\n', 'app/dist/z.js': 'x\n',
      'app/src/dist/keep.js': 'x\n', 'tools/.gitignore': '*.tmp\nout/\n', 'tools/a.tmp': 'x\n', 'tools/b.c': 'x\n', 'tools/out/c.o': 'x\n', 'top.env': 'x\n',
    });
    const paths = [
      'docs/', 'docs/a.md', 'docs/img.png', 'lib/', 'lib/x.c', 'app/', 'app/package.json', 'app/node_modules/', 'app/node_modules/y.js', 'app/dist/', 'app/dist/z.js',
      'app/src/', 'app/src/dist/', 'app/src/dist/keep.js', 'tools/', 'tools/.gitignore', 'tools/a.tmp', 'tools/b.c', 'tools/out/', 'tools/out/c.o', 'top.env',
    ];
    const oneByOne: Record<string, string> = {};
    for (const path of paths) Object.assign(oneByOne, await decisions(createPolicy(root), [path]));
    const policy = createPolicy(root);
    const inOrder: Record<string, string> = {};
    for (const path of paths) {
      const kind = path.endsWith('/') ? 'dir' : 'file';
      const rel = kind === 'dir' ? path.slice(0, -1) : path;
      const decision = policy.decideNow(rel, kind) ?? await policy.decide(rel, kind);
      inOrder[path] = `${decision.action} ${decision.class} ${decision.rule}`;
    }
    expect(inOrder).toEqual(oneByOne);
    expect(oneByOne).toMatchObject({ 'docs/img.png': 'store asset default', 'app/node_modules/': 'skip dependency preset', 'tools/a.tmp': 'skip generated gitignore', 'tools/b.c': 'store source default' });
  });
});

describe('policy decisions by name', () => {
  it('byName answers for a folder exactly when no glob and no .gitignore reaches its entries, with what decideNow says of each', async () => {
    const root = await tempDir();
    await writeFiles(root, {
      'docs/a.md': 'x\n', 'docs/img/shot.png': 'x\n', 'lib/x.c': 'x\n', 'app/package.json': '{}\n', 'app/node_modules/y.js': 'x\n',
      'app/src/z.ts': 'x\n', 'tools/.gitignore': '*.tmp\n', 'tools/a.tmp': 'x\n', 'top.env': 'x\n', 'Makefile': 'x\n',
      // Presets below presets: a package in node_modules with its own marker, an anchored rule (dist) one level
      // down, a file rule at any depth (*.pyc), a marker that is a glob (*.csproj).
      'app/node_modules/dep/package.json': '{}\n', 'app/node_modules/dep/dist/d.js': 'x\n', 'app/node_modules/dep/lib/dist/e.js': 'x\n',
      'app/src/dist/f.ts': 'x\n', 'app/dist/g.js': 'x\n',
      'py/setup.py': 'x\n', 'py/pkg/m.py': 'x\n', 'py/pkg/m.pyc': 'x\n', 'py/pkg/__pycache__/m.pyc': 'x\n', 'py/pkg/deep/n.pyc': 'x\n', 'py/.venv/bin/python': 'x\n',
      'net/app.csproj': 'x\n', 'net/bin/app.dll': 'x\n', 'net/src/bin/keep.cs': 'x\n', 'net/obj': 'a file named like a rule folder\n',
    });
    const readTextNow = (path: string): string | null => {
      try {
        return readFileSync(path, 'utf8');
      } catch {
        return null;
      }
    };
    const fs = { readdir: async (path: string) => readdirSync(path), readText: async (path: string) => readTextNow(path), readdirSync: (path: string) => readdirSync(path), readTextSync: readTextNow };
    const folders: string[] = [];
    const listing = (folder: string) => readdirSync(folder === '' ? root : `${root}/${folder}`, { withFileTypes: true });
    // Asked as a walk asks (a folder after its parent, with its names or without), each folder before its parent, and
    // keeping every class (so that entries below a folder a rule covers are walked and decided too).
    for (const { order, names, options } of [
      { order: 'walk', names: false, options: {} }, { order: 'walk', names: true, options: {} },
      { order: 'reversed', names: false, options: {} }, { order: 'walk', names: true, options: { skipClasses: [] } },
    ] as const) {
      const policy = createPolicy(root, { fs, ...options });
      const plain: string[] = [];
      const check = (folder: string): boolean => {
        const entries = listing(folder);
        const rule = policy.byName(folder, names ? entries.map((entry) => entry.name) : undefined);
        if (rule !== undefined) plain.push(folder);
        for (const entry of entries) {
          const path = folder === '' ? entry.name : `${folder}/${entry.name}`;
          const kind = entry.isDirectory() ? 'dir' : 'file';
          if (rule !== undefined) expect(rule(entry.name, kind), `${order} ${JSON.stringify(options)}: ${path}`).toEqual(policy.decideNow(path, kind));
        }
        return rule !== undefined;
      };
      const walk = (folder: string): void => {
        if (!folders.includes(folder)) folders.push(folder);
        check(folder);
        for (const entry of listing(folder)) if (entry.isDirectory()) walk(folder === '' ? entry.name : `${folder}/${entry.name}`);
      };
      if (order === 'walk') walk('');
      else for (const folder of [...folders].reverse()) check(folder); // each folder before its parent
      // Every folder but the one a .gitignore reaches (tools), including those presets reach.
      expect(plain.sort(), order).toEqual([
        '', 'app', 'app/dist', 'app/node_modules', 'app/node_modules/dep', 'app/node_modules/dep/dist', 'app/node_modules/dep/lib', 'app/node_modules/dep/lib/dist',
        'app/src', 'app/src/dist', 'docs', 'docs/img', 'lib', 'net', 'net/bin', 'net/src', 'net/src/bin', 'py', 'py/.venv', 'py/.venv/bin', 'py/pkg', 'py/pkg/__pycache__', 'py/pkg/deep',
      ]);
    }
    const policy = createPolicy(root, { fs });
    // A symlink (any kind but a folder) is decided as a file.
    expect(policy.byName('py/pkg')?.('x.pyc', 'symlink')).toMatchObject({ action: 'skip', class: 'generated' });
    // An fs that only reads asynchronously: no answer until decide() has read the folders, then the same answers.
    const later = createPolicy(root, { fs: { readdir: fs.readdir, readText: fs.readText } });
    expect(later.byName('app/node_modules/dep')).toBeUndefined();
    await later.decide('app/node_modules/dep/index.js');
    const rule = later.byName('app/node_modules/dep');
    expect(['package.json', 'dist', 'lib'].map((name) => rule?.(name, name.includes('.') ? 'file' : 'dir'))).toEqual(
      ['package.json', 'dist', 'lib'].map((name) => policy.decideNow(`app/node_modules/dep/${name}`, name.includes('.') ? 'file' : 'dir')));
    // What the presets class, as decideNow does (walked into, as a backup keeping those classes would).
    expect(policy.decideNow('app/node_modules', 'dir')).toMatchObject({ action: 'skip', class: 'dependency' });
    expect(policy.decideNow('app/node_modules/dep/dist', 'dir')).toMatchObject({ action: 'skip', class: 'dependency' });
    expect(policy.decideNow('app/src/dist', 'dir')).toMatchObject({ action: 'store', class: 'source' });
    expect(policy.decideNow('py/pkg/deep/n.pyc', 'file')).toMatchObject({ action: 'skip', class: 'generated' });
    expect(policy.decideNow('net/src/bin', 'dir')).toMatchObject({ action: 'store', class: 'source' });
    expect(policy.decideNow('net/obj', 'file')).toMatchObject({ action: 'store' });
    // Any glob reaches every folder: none is decided by name.
    const globbed = createPolicy(root, { fs, exclude: ['*.log'] });
    expect(['', 'docs', 'lib'].map((folder) => globbed.byName(folder))).toEqual([undefined, undefined, undefined]);
    expect(() => policy.byName('../x')).toThrow(RangeError);
  });
});

describe('a policy of the root folder "/"', () => {
  it('asks its fs for "/etc", "/etc/.gitignore", never "//etc": the paths a walk of "/" keeps its listings under', async () => {
    const asked: string[] = [];
    const listings = new Map<string, string[]>([['/', ['etc', 'srv']], ['/srv', ['app']], ['/srv/app', ['package.json', 'node_modules']]]);
    const readdirNow = (path: string): string[] => {
      asked.push(path);
      return listings.get(path) ?? [];
    };
    const readTextNow = (path: string): string | null => {
      asked.push(path);
      return null;
    };
    const fs = { readdir: async (path: string) => readdirNow(path), readText: async (path: string) => readTextNow(path), readdirSync: readdirNow, readTextSync: readTextNow };
    const policy = createPolicy('/', { fs });
    expect(policy.byName('')).toBeDefined();
    expect(policy.byName('srv')).toBeDefined();
    expect((await policy.decide('srv/app/node_modules', 'dir')).action).toBe('skip');
    expect(asked.filter((path) => path.startsWith('//'))).toEqual([]);
    expect(asked).toEqual(expect.arrayContaining(['/', '/.gitignore', '/srv', '/srv/app']));
  });
});

describe('preset markers', () => {
  it('are found in a listing as picomatch finds them', () => {
    const names = [
      'package.json', 'Package.json', 'x.package.json', 'App.csproj', '.csproj', 'App.CSPROJ', 'a.fsproj', 'b.vbproj.bak', 'Cargo.toml',
      'requirements.txt', 'setup.py', 'CMakeLists.txt', 'build.gradle.kts', 'build.gradle', 'go.mod', 'pom.xml', 'x', '.env',
    ];
    const byPicomatch = (listing: readonly string[]) => STACK_PRESETS.filter((preset) => listing.some((name) => picomatch(preset.markers as string[], { dot: true })(name)));
    for (const name of names) expect(presetsFor([name])).toEqual(byPicomatch([name]));
    expect(presetsFor(names)).toEqual(byPicomatch(names));
    expect(presetsFor([])).toEqual([]);
  });
});

/** classifyName as it was written first: every rule on the lowercased whole name (the reference for its shortcut). */
function classifiedByWholeName(name: string): string {
  const lower = name.toLowerCase();
  const configNames = ['dockerfile', 'makefile', 'procfile', 'gemfile', 'rakefile', 'vagrantfile', 'jenkinsfile', 'license', 'codeowners', '.env', '.npmrc'];
  if (configNames.includes(lower) || lower.startsWith('.env.') || (lower.startsWith('.') && lower.endsWith('rc'))) return 'config';
  const dot = lower.lastIndexOf('.');
  const extension = dot > 0 ? lower.slice(dot + 1) : dot === 0 ? lower.slice(1) : '';
  if (['json', 'yml', 'env', 'config'].includes(extension)) return 'config';
  if (['png', 'gz'].includes(extension)) return 'asset';
  return 'source';
}
