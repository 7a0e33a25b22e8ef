/**
 * The real side of one run: a temp folder holding one repository (SMALL chunks and packs), three
 * source roots (three host/paths groups, more with the second host), and, made on first use, a git
 * working copy with a bare local remote and a folder seeding a simulated MicroPython board.
 * Every command opens the repository afresh, as another process would. Some runs use an
 * encrypted repository (a password, keyed ids, every file sealed), the others a plain one.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initRepository, openRepository } from '@cairn/repository';
import type { Repository } from '@cairn/repository';
import { createLocalBackend } from '@cairn/transport';
import { makeGitScenario } from '../../../vcs/test/git-scenario.js';
import type { GitScenario } from '../../../vcs/test/git-scenario.js';
import { applyEdits } from './edits.js';
import type { Edit } from './edits.js';
import { SMALL } from '../lifecycle-helpers.js';

/** The source roots' names (each backed up alone or with another). */
export const ROOTS = ['alpha', 'beta', 'gamma'] as const;

/** What every root holds at the start of a run. */
const START: readonly Edit[] = [
  { op: 'write', path: 'a', size: 5000, seed: 1 },
  { op: 'write', path: 'd1/b', size: 20_000, seed: 2 },
  { op: 'mkdir', path: 'd2' },
  // Small compressible files: a first backup stores them as a group sharing one frame.
  { op: 'text', path: 'h1', size: 1500, seed: 3 },
  { op: 'text', path: 'h2', size: 700, seed: 4 },
];

/** One run's repository and sources. */
export class World {
  /** The parent folder of the source roots (a restore with backup-existing writes into it). */
  readonly sources: string;
  readonly repoPath: string;
  /** The folder the simulated board is seeded from (its files are the board's). */
  readonly boardSeed: string;
  private git: GitScenario | undefined;
  private restores = 0;

  /** The repository's password in an encrypted run, else undefined. */
  readonly password: string | undefined;

  private constructor(readonly work: string, encrypted: boolean) {
    this.password = encrypted ? 'model password' : undefined;
    this.sources = join(work, 'src');
    this.repoPath = join(work, 'repo');
    this.boardSeed = join(work, 'board');
  }

  /** A new world: an empty repository and the three roots with their start content. */
  static async create(encrypted = false): Promise<World> {
    const world = new World(await mkdtemp(join(tmpdir(), 'cairn-model-')), encrypted);
    // A cheap scrypt: every command opens the repository afresh.
    await initRepository(createLocalBackend(world.repoPath), { ...SMALL, ...(encrypted ? { encryption: 'aes-256-gcm', password: world.password!, kdf: { N: 1024, r: 8, p: 1 } } : {}) });
    for (const root of ROOTS) {
      await mkdir(world.root(root), { recursive: true });
      await applyEdits(world.root(root), START);
    }
    await mkdir(world.boardSeed);
    await applyEdits(world.boardSeed, START);
    return world;
  }

  /** The absolute path of a source root. */
  root(name: string): string {
    return join(this.sources, name);
  }

  /** The repository, opened afresh. */
  open(): Promise<Repository> {
    const password = this.password;
    return openRepository(createLocalBackend(this.repoPath), password === undefined ? {} : { password: async () => password });
  }

  /** What a child process needs to open the repository: its password, in an encrypted run. */
  get passwordOption(): { password?: string } {
    return this.password === undefined ? {} : { password: this.password };
  }

  /** The git working copy (made on first use: unpushed commits on a branch, a stash, a dirty tree). */
  async gitCopy(): Promise<GitScenario> {
    this.git ??= await makeGitScenario();
    return this.git;
  }

  /** A new empty folder to restore into. */
  async restoreDir(): Promise<string> {
    this.restores += 1;
    const dir = join(this.work, 'restores', String(this.restores));
    await mkdir(dir, { recursive: true });
    return dir;
  }

  /** Removes a folder restoreDir made. */
  async dropRestoreDir(dir: string): Promise<void> {
    await rm(dir, { recursive: true, force: true });
  }

  /** Removes everything of this run. */
  async dispose(): Promise<void> {
    await rm(this.work, { recursive: true, force: true });
    if (this.git !== undefined) await rm(this.git.base, { recursive: true, force: true });
  }
}
