import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { VERSION } from '@cairn/repository';
import { cairn, CLI, jsonError, jsonSummary, tempDir } from './run-cli.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** Whether a program runs here (zsh and fish may not be installed). */
function has(program: string): boolean {
  return spawnSync(program, ['--version'], { stdio: 'ignore' }).status === 0;
}

/** Every command path the program has ("", "backup", "device backup", …), read from docs/CLI.md as the program generates it. */
async function commandPaths(home: string): Promise<string[]> {
  const doc = (await cairn(['help-doc'], { home })).stdout;
  return [...doc.matchAll(/^## cairn(.*)$/gm)].map((m) => (m[1] ?? '').trim());
}

/** What the bash completion offers for the words typed so far (the last one is being completed). */
function bashComplete(...words: string[]): string[] {
  const script = `source <("$NODE" "$CLI" completion bash) && COMP_WORDS=("$@") && COMP_CWORD=$(($# - 1)) && _cairn && printf '%s\\n' "\${COMPREPLY[@]}"`;
  const out = execFileSync('bash', ['-c', script, 'bash', ...words], { env: { PATH: process.env['PATH'] ?? '', NODE: process.execPath, CLI }, encoding: 'utf8' });
  return out.split('\n').filter((line) => line !== '');
}

describe('cairn version, help, completion', () => {
  it('version prints cairn, Node.js and the platform; --json the same as an object', async () => {
    const home = await tempDir();
    const text = await cairn(['version'], { home });
    expect(text.code).toBe(0);
    expect(text.stdout).toBe(`cairn ${VERSION} (node ${process.version}, ${process.platform}/${process.arch})\n`);
    const json = await cairn(['version', '--json'], { home });
    expect(jsonSummary(json.stdout)).toEqual({ version: VERSION, node: process.version, platform: process.platform, arch: process.arch });
    expect((await cairn(['--version'], { home })).stdout.trim()).toBe(VERSION);
  });

  it('help <command> shows the usage and an Examples block for every command, nested ones too', async () => {
    const home = await tempDir();
    const paths = await commandPaths(home);
    expect(paths).toEqual(expect.arrayContaining(['', 'backup', 'restore', 'device backup', 'device restore', 'device ls', 'config max-size', 'repair snapshots', 'version', 'completion', 'help']));
    const runs = await Promise.all(paths.map((path) => cairn(['help', ...path.split(' ').filter((w) => w !== '')], { home })));
    paths.forEach((path, i) => {
      const run = runs[i];
      const name = ['cairn', path].filter((w) => w !== '').join(' ');
      expect(run?.code, `cairn help ${path}`).toBe(0);
      expect(run?.stdout, `cairn help ${path}`).toContain(`Usage: ${name}`);
      const examples = run?.stdout.split('\nExamples:\n')[1] ?? '';
      expect(examples, `cairn help ${path} has no "Examples:" block: add examples for "${path}" to apps/cli/src/examples.ts`).toMatch(new RegExp(`^ {2}\\$ .*${name}( |$)`, 'm'));
    });
    // commander's own `device help backup` and `backup --help` show the same
    expect((await cairn(['device', 'help', 'backup'], { home })).stdout).toBe(runs[paths.indexOf('device backup')]?.stdout);
    expect((await cairn(['backup', '--help'], { home })).stdout).toBe(runs[paths.indexOf('backup')]?.stdout);
  });

  it('completion bash loads in bash and completes commands, nested commands and flags from the definitions', async () => {
    expect(bashComplete('cairn', 'ba')).toEqual(['backup']);
    expect(bashComplete('cairn', 'device', 'b')).toEqual(['backup']);
    expect(bashComplete('cairn', '--repo', '/tmp/r', 'ba')).toEqual(['backup']); // a global option's value is passed over
    expect(bashComplete('cairn', 'backup', '--tag', 'x', '--for')).toEqual(['--force']);
    expect(bashComplete('cairn', 'device', 'backup', '--p')).toEqual(expect.arrayContaining(['--port', '--path']));
    expect(bashComplete('cairn', 'restore', '--j')).toEqual(['--json']); // global flags on every command
    expect(bashComplete('cairn', 'help', 'dev')).toEqual(['device']);
    expect(bashComplete('cairn', 'completion', 'z')).toEqual([]); // no subcommands: left to the shell's file completion
  });

  it('completion zsh and fish print their scripts (checked by the shells where they are installed); another shell is refused', async () => {
    const home = await tempDir();
    const zsh = await cairn(['completion', 'zsh'], { home });
    expect(zsh.code).toBe(0);
    expect(zsh.stdout).toMatch(/^#compdef cairn\n/);
    expect(zsh.stdout).toContain("'commands:device') items=('backup:");
    const fish = await cairn(['completion', 'fish'], { home });
    expect(fish.code).toBe(0);
    expect(fish.stdout).toContain("complete -c cairn -n '__cairn_at \"device\"' -f -a 'backup'");
    if (has('zsh')) {
      const file = join(home, '_cairn');
      await writeFile(file, zsh.stdout);
      expect(spawnSync('zsh', ['-n', file]).status).toBe(0);
      const path = spawnSync('zsh', ['-f', '-c', `autoload -U compinit && compinit -u -d ${join(home, 'zcompdump')}; source ${file}; _cairn_path device backup --port x; print -r -- \${_comps[cairn]}`], { encoding: 'utf8' });
      expect(path.stdout).toBe('device backup\n_cairn\n');
    }
    if (has('fish')) {
      const file = join(home, 'cairn.fish');
      await writeFile(file, fish.stdout);
      const offered = spawnSync('fish', ['--no-config', '-c', `source ${file}; complete -C 'cairn ba'; complete -C 'cairn device backup --p'`], { encoding: 'utf8', env: { ...process.env, HOME: home } });
      expect(offered.stdout.split('\n').map((line) => line.split('\t')[0])).toEqual(expect.arrayContaining(['backup', '--port', '--path']));
    }
    const tcsh = await cairn(['completion', 'tcsh'], { home });
    expect(tcsh.code).toBe(1);
    expect(tcsh.stderr).toMatch(/^cairn: completion: .*"tcsh".*bash, zsh, fish[^\n]*\n$/);
  });
});

describe('one-line errors for unknown commands and flags', () => {
  it('names the command or flag and suggests the closest, in one line, exit 1', async () => {
    const home = await tempDir();
    const cases: [string[], string][] = [
      [['bakcup'], 'cairn: unknown command "bakcup" (did you mean backup?)\n'],
      [['xyzzy'], 'cairn: unknown command "xyzzy" (cairn help lists the commands)\n'],
      [['device', 'bakup'], 'cairn: device: unknown command "bakup" (did you mean backup?)\n'],
      [['backup', '--forc', '.'], 'cairn: backup: unknown option "--forc" (did you mean --force?)\n'],
      [['snapshots', '--nope'], 'cairn: snapshots: unknown option "--nope" (cairn help snapshots lists the options)\n'],
      [['help', 'bakcup'], 'cairn: help: unknown command "bakcup" (did you mean backup?)\n'],
      [['help', 'device', 'bakup'], 'cairn: help: unknown command "device bakup" (did you mean backup?)\n'],
      [['restore', 'latest'], 'cairn: restore: required option "-t, --target <dir>" not specified (see cairn help restore)\n'],
    ];
    for (const [args, line] of cases) {
      const run = await cairn(args, { home });
      expect(run.code, args.join(' ')).toBe(1);
      expect(run.stderr, args.join(' ')).toBe(line);
      expect(run.stdout, args.join(' ')).toBe('');
    }
    const json = await cairn(['bakcup', '--json'], { home });
    expect(json.code).toBe(1);
    expect(jsonError(json.stderr)).toEqual({ type: 'error', error: { code: 'ERR_USAGE', message: 'unknown command "bakcup" (did you mean backup?)' } });
  });
});

describe('-q and -v', () => {
  it('-q prints nothing when a command succeeds (before or after the command, and backup -q as before); its report when it fails; listings still print', async () => {
    const home = await tempDir();
    const repo = join(home, 'repo');
    await mkdir(join(home, 'src'));
    await writeFile(join(home, 'src', 'a.txt'), 'alpha\n');
    const silent = async (...args: string[]): Promise<void> => {
      const run = await cairn(args, { home });
      expect(run, args.join(' ')).toEqual({ code: 0, stdout: '', stderr: '' });
    };
    await silent('-q', '--repo', repo, 'init');
    await silent('-q', '--repo', repo, 'backup', join(home, 'src'));
    await silent('--repo', repo, 'backup', join(home, 'src'), '-q');
    await silent('--repo', repo, 'backup', join(home, 'src'), '--quiet', '--tag', 'x');
    await silent('--repo', repo, '-q', 'restore', 'latest', '--target', join(home, 'out'));
    expect(await readFile(join(home, 'out', 'src', 'a.txt'), 'utf8')).toBe('alpha\n');
    await silent('--repo', repo, '-q', 'check');
    await silent('--repo', repo, '-q', 'forget', '--keep-last', '1');
    await silent('--repo', repo, '-q', 'prune', '--grace', '0');
    // the default repository is created without its note
    await silent('-q', 'backup', join(home, 'src'));

    const listing = await cairn(['--repo', repo, '-q', 'ls', 'latest'], { home });
    expect(listing.stdout).toContain('src/a.txt');
    expect((await cairn(['-q', 'version'], { home })).stdout).toContain(`cairn ${VERSION}`);
    const json = await cairn(['--repo', repo, '-q', 'backup', join(home, 'src'), '--json'], { home });
    expect(JSON.parse(json.stdout)).toMatchObject({ id: expect.any(String) });

    // A failing check under -q: the error on stderr and, since it failed, its report on stdout.
    const data = join(repo, 'data');
    for (const sub of await readdir(data)) for (const pack of await readdir(join(data, sub))) await rm(join(data, sub, pack));
    const failed = await cairn(['--repo', repo, '-q', 'check'], { home });
    expect(failed.code).toBe(1);
    expect(failed.stdout).toContain('error');

    const both = await cairn(['-q', '-v', 'version'], { home });
    expect(both.code).toBe(1);
    expect(both.stderr).toBe('cairn: -q/--quiet and -v/--verbose contradict each other: give one of them\n');
  });

  it('-v gives restore its list of every entry (as restore -v did) and errors their causes', async () => {
    const home = await tempDir();
    const repo = join(home, 'repo');
    await mkdir(join(home, 'src'));
    await writeFile(join(home, 'src', 'a.txt'), 'alpha\n');
    expect((await cairn(['--repo', repo, 'init'], { home })).code).toBe(0);
    expect((await cairn(['--repo', repo, 'backup', join(home, 'src')], { home })).code).toBe(0);
    for (const args of [['-v', 'restore', 'latest', '--target', join(home, 'v1')], ['restore', 'latest', '--target', join(home, 'v2'), '--verbose']]) {
      const run = await cairn(['--repo', repo, ...args], { home });
      expect(run.code).toBe(0);
      expect(run.stdout).toContain('create file src/a.txt');
    }
    expect((await cairn(['--repo', repo, 'restore', 'latest', '--target', join(home, 'v3')], { home })).stdout).not.toContain('create file');

    await writeFile(join(repo, 'config'), '{');
    const plain = await cairn(['--repo', repo, 'snapshots'], { home });
    const verbose = await cairn(['--repo', repo, '-v', 'snapshots'], { home });
    expect(plain.code).toBe(1);
    expect(plain.stderr).not.toContain('cause:');
    expect(verbose.stderr).toMatch(/^cairn: .*config is not a readable config.*\ncause: .*JSON/);
  });
});

describe('docs', () => {
  it('docs/CLI.md is what the program generates, and the README shows every command', async () => {
    const home = await tempDir();
    const generated = (await cairn(['help-doc'], { home })).stdout;
    const stored = await readFile(join(ROOT, 'docs', 'CLI.md'), 'utf8');
    expect(stored === generated, 'docs/CLI.md is out of date: regenerate it with `npx --yes pnpm@10 run docs:cli` (after a build) and commit it').toBe(true);
    const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
    for (const path of (await commandPaths(home)).filter((p) => p !== '')) {
      expect(readme, `README.md has no example of cairn ${path}`).toMatch(new RegExp(`^cairn ${path}( |$)`, 'm'));
    }
  });
});

describe('small fixes', () => {
  it('restore --target - is refused in one line and makes no folder named "-"', async () => {
    const home = await tempDir();
    const repo = join(home, 'repo');
    await mkdir(join(home, 'src'));
    await writeFile(join(home, 'src', 'a.txt'), 'alpha\n');
    expect((await cairn(['--repo', repo, 'init'], { home })).code).toBe(0);
    expect((await cairn(['--repo', repo, 'backup', join(home, 'src')], { home })).code).toBe(0);
    const run = await cairn(['--repo', repo, 'restore', 'latest', '--target', '-'], { home, cwd: home });
    expect(run.code).toBe(1);
    expect(run.stderr).toBe('cairn: --target: "-" is not stdout here: a restore writes files into a folder; give ./- for a folder named "-"\n');
    expect(existsSync(join(home, '-'))).toBe(false);
    expect((await cairn(['--repo', repo, 'restore', 'latest', '--target', './-'], { home, cwd: home })).code).toBe(0);
    expect(await readFile(join(home, '-', 'src', 'a.txt'), 'utf8')).toBe('alpha\n');
  });

  it('device commands on --port sim without --sim-root: one line naming the flag, exit 1', async () => {
    const home = await tempDir();
    for (const args of [['device', 'ls', '--port', 'sim'], ['device', 'backup', '--port', 'sim']]) {
      const run = await cairn(args, { home });
      expect(run.code, args.join(' ')).toBe(1);
      expect(run.stdout).toBe('');
      expect(run.stderr).toBe("cairn: --port sim needs --sim-root <dir>: the folder that holds the simulated board's flash\n");
    }
    expect(existsSync(join(home, 'data', 'cairn', 'repo'))).toBe(false);
  });

  it('forget --prune says what was freed now, what is pending until when, and how to free it at once; prune --grace 0 frees it', async () => {
    const home = await tempDir();
    const repo = join(home, 'repo');
    expect((await cairn(['--repo', repo, 'init'], { home })).code).toBe(0);
    await mkdir(join(home, 'src'));
    for (const seed of [1, 2]) {
      await writeFile(join(home, 'src', 'data.bin'), Buffer.alloc(300_000, seed));
      expect((await cairn(['--repo', repo, 'backup', join(home, 'src')], { home })).code).toBe(0);
    }
    const forgot = await cairn(['--repo', repo, 'forget', '--keep-last', '1', '--prune'], { home });
    expect(forgot.code).toBe(0);
    expect(forgot.stdout).toMatch(/removed 1 snapshot; pruning the data only they used:\nfreed now: nothing \(no pack deleted\)\nmarked \d+ packs? \(.+\) for deletion: \d+ unused\npending: \d+ packs? \((.+)\), deleted by the first prune run after \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \(the grace period, 1h, protects writers that take no lease\)\nto free them now: cairn prune --grace 0 /);
    const pending = /pending: \d+ packs? \((.+?)\)/.exec(forgot.stdout)?.[1];
    const freed = await cairn(['--repo', repo, 'prune', '--grace', '0'], { home });
    expect(freed.stdout).toMatch(new RegExp(`^freed now: ${(pending ?? '?').replace('.', '\\.')} \\(\\d+ packs? deleted\\)\\n`));
    expect(freed.stdout).not.toContain('pending');

    await writeFile(join(home, 'src', 'data.bin'), Buffer.alloc(300_000, 3));
    expect((await cairn(['--repo', repo, 'backup', join(home, 'src')], { home })).code).toBe(0);
    const alone = await cairn(['--repo', repo, 'forget', '--keep-last', '1'], { home });
    expect(alone.stdout).toContain('removed 1 snapshot; the data only they used is still stored: `cairn prune --grace 0` frees it now');
  });
});
