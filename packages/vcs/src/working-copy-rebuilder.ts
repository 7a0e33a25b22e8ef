import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RecordedWorkingCopy, Target, WorkingCopyRebuilder } from '@cairn/core';
import type { VcsState } from './types.js';
import type { RemoteRewrite } from './url.js';
import { finishWorkingCopy, restoreWorkingCopy } from './working-copy.js';

/** Options of createWorkingCopyRebuilder. */
export interface WorkingCopyRebuilderOptions {
  /**
   * Makes a Target writing into a local folder (`createLocalTarget` of @cairn/transport): the
   * restore writes each working copy's extras tree through it into a temporary folder.
   */
  readonly localTarget: (dir: string) => Target;
  /** Rewrites of the recorded remote URLs (git's insteadOf: a URL starting with `from` starts with `to`), for remotes that moved. */
  readonly rewrites?: readonly RemoteRewrite[];
}

/**
 * A WorkingCopyRebuilder (the port of @cairn/core a restore calls) for git, Mercurial and
 * Subversion: reads the VcsState a snapshot recorded, rebuilds the working copy with
 * restoreWorkingCopy (remote URLs rewritten by `rewrites`) and finishes it with finishWorkingCopy.
 */
export function createWorkingCopyRebuilder(options: WorkingCopyRebuilderOptions): WorkingCopyRebuilder {
  if (typeof options?.localTarget !== 'function') {
    throw new TypeError(`createWorkingCopyRebuilder: localTarget must be a function making a Target of a local folder, got ${typeof options?.localTarget}`);
  }
  const rewrites = options.rewrites === undefined ? {} : { rewrites: options.rewrites };
  return {
    read(text) {
      const state = parseState(text);
      return state === null ? null : recorded(state, rewrites);
    },
    async extrasFolder() {
      const dir = await mkdtemp(join(tmpdir(), 'cairn-extras-'));
      return { dir, target: options.localTarget(dir), remove: () => rm(dir, { recursive: true, force: true }) };
    },
  };
}

function recorded(state: VcsState, rewrites: { rewrites?: readonly RemoteRewrite[] }): RecordedWorkingCopy {
  return {
    vcs: state.vcs,
    rebuild: (dir, { extras, signal } = {}) => restoreWorkingCopy(dir, state, {
      ...(extras === undefined ? {} : { extras }),
      ...rewrites,
      ...(signal === undefined ? {} : { signal }),
    }),
    finish: (dir, { signal } = {}) => finishWorkingCopy(dir, state, signal === undefined ? {} : { signal }),
  };
}

/** A recorded state (JSON text) as a VcsState, or null when it is not one. */
function parseState(text: string): VcsState | null {
  try {
    const state = JSON.parse(text) as VcsState;
    if (typeof state === 'object' && state !== null && ['git', 'hg', 'svn'].includes(state.vcs)) return state;
  } catch {
    // not JSON
  }
  return null;
}
