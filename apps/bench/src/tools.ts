import { basename, join } from 'node:path';
import type { CommandSpec } from './run-measured.js';

/** The tools the bench compares. */
export type ToolName = 'cairn' | 'restic' | 'borg';

/** Every tool, in the default order. */
export const TOOL_NAMES: readonly ToolName[] = ['cairn', 'restic', 'borg'];

/** How each tool is set up, for the table: restic cannot turn encryption off. */
export const TOOL_SETTINGS: Readonly<Record<ToolName, { encryption: string; compression: string }>> = {
  cairn: { encryption: 'none', compression: 'zstd 3' },
  restic: { encryption: 'encrypted (cannot be disabled)', compression: 'auto (repo v2)' },
  borg: { encryption: 'none', compression: 'zstd,3' },
};

/** The commands of one tool working in its own folder (repository, HOME, caches). */
export interface ToolDriver {
  readonly name: ToolName;
  readonly repo: string;
  /** Folders to create before the first command. */
  readonly folders: readonly string[];
  init(): CommandSpec;
  /** Backs up `paths` as a snapshot named `name` (borg wants a name; the others ignore it). */
  backup(paths: readonly string[], name: string): CommandSpec;
  /** Restores the snapshot named `name` (the latest one) into the existing empty folder `target`. */
  restore(name: string, target: string): CommandSpec;
  /** Where the restore of `target` puts the copy of the backed-up folder `source`. */
  restoredRoot(target: string, source: string): string;
  version(): CommandSpec;
}

/** Where a tool runs: its executable (for cairn: the built CLI's bundle, cairn.js) and its folder. */
export interface DriverOptions {
  readonly executable: string;
  readonly dir: string;
  /** Extra arguments for cairn's backup command. */
  readonly cairnArgs?: readonly string[];
}

/**
 * The driver of `name`. Each gets a fresh HOME, XDG_CACHE_HOME, XDG_CONFIG_HOME and
 * XDG_DATA_HOME under `dir`, so caches of other runs neither help nor hurt, while the
 * phases of one repetition share them, as a real user's runs would.
 */
export function createToolDriver(name: ToolName, options: DriverOptions): ToolDriver {
  const { executable, dir } = options;
  const repo = join(dir, 'repo');
  const home = join(dir, 'home');
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^(CAIRN|RESTIC|BORG)_/.test(key)) env[key] = value;
  }
  Object.assign(env, {
    HOME: home,
    XDG_CACHE_HOME: join(home, '.cache'),
    XDG_CONFIG_HOME: join(home, '.config'),
    XDG_DATA_HOME: join(home, '.local', 'share'),
  });
  const folders = [dir, home];
  const fromRoot = (target: string, source: string): string => join(target, source);
  switch (name) {
    case 'cairn': {
      // CAIRN_BENCH_PASSWORD: cairn's repository is encrypted with it (a password at init encrypts, aes-256-gcm), as restic's always is.
      const password = process.env['CAIRN_BENCH_PASSWORD'];
      if (password !== undefined && password !== '') env['CAIRN_PASSWORD'] = password;
      const run = (...args: string[]): CommandSpec => ({ file: process.execPath, args: [executable, ...args], env });
      return {
        name, repo, folders,
        init: () => run('init', '-r', repo),
        // The same data as the peers: no policy skipping node_modules, no VCS state to read.
        backup: (paths) => run('backup', '-r', repo, '-q', '--no-policy', '--vcs', 'off', ...paths, ...(options.cairnArgs ?? [])),
        restore: (_name, target) => run('restore', '-r', repo, 'latest', '-t', target),
        restoredRoot: (target, source) => join(target, basename(source)),
        version: () => run('--version'),
      };
    }
    case 'restic': {
      env['RESTIC_PASSWORD'] = 'cairn-bench';
      const run = (...args: string[]): CommandSpec => ({ file: executable, args: ['-r', repo, ...args], env });
      return {
        name, repo, folders,
        init: () => run('init', '--repository-version', '2'),
        backup: (paths) => run('--compression', 'auto', 'backup', '-q', ...paths),
        restore: (_name, target) => run('restore', 'latest', '--target', target),
        restoredRoot: fromRoot,
        version: () => ({ file: executable, args: ['version'], env }),
      };
    }
    case 'borg': {
      Object.assign(env, { BORG_PASSPHRASE: '', BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK: 'yes', BORG_RELOCATED_REPO_ACCESS_IS_OK: 'yes' });
      return {
        name, repo, folders,
        init: () => ({ file: executable, args: ['init', '-e', 'none', repo], env }),
        backup: (paths, archive) => ({ file: executable, args: ['create', '--compression', 'zstd,3', `${repo}::${archive}`, ...paths], env }),
        restore: (archive, target) => ({ file: executable, args: ['extract', `${repo}::${archive}`], env, cwd: target }),
        restoredRoot: fromRoot,
        version: () => ({ file: executable, args: ['--version'], env }),
      };
    }
  }
}
