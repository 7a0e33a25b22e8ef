import { CairnError } from '@cairn/core';
import type { ErrorCode } from '@cairn/core';
import { firstLines, stderrOf } from './run.js';
import type { VcsKind } from './types.js';
import { stripCredentials } from './url.js';

const NOT_FOUND = /does not appear to be a git repository|repository .*not found|not found|no such file or directory|does not exist|E170000|E180001|Unable to open an ra_local session|no suitable response|not a Mercurial bundle/i;
const PERMISSION = /permission denied|authentication failed|authorization failed|could not read username|terminal prompts disabled|\b40[13]\b|E170001|E215004/i;

const NAMES: Readonly<Record<VcsKind, string>> = { git: 'git', hg: 'Mercurial', svn: 'Subversion' };

/** A VCS's name in messages: "git", "Mercurial", "Subversion". */
export function vcsName(vcs: VcsKind): string {
  return NAMES[vcs];
}

/**
 * The CairnError for a remote a restore could not reach: names the working copy and the URL
 * (credentials stripped), and its hint the `--vcs-remote` rewrite of the `recorded` URL that would
 * point the restore elsewhere; ERR_NOT_FOUND when the remote is gone, ERR_PERMISSION when it refused
 * us, ERR_TRANSIENT otherwise (network, host down).
 */
export function remoteUnreachable(vcs: VcsKind, root: string, url: string, error: unknown, recorded = url): CairnError {
  const stderr = stderrOf(error);
  const code: ErrorCode = PERMISSION.test(stderr) ? 'ERR_PERMISSION' : NOT_FOUND.test(stderr) ? 'ERR_NOT_FOUND' : 'ERR_TRANSIENT';
  const raw = stderr === '' ? (error instanceof Error ? error.message : String(error)) : firstLines(stderr, 2);
  // The tool may quote the URL it was given: strip credentials there too.
  const reason = raw.replace(/[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^\s'"]+/g, (found) => stripCredentials(found));
  return new CairnError(code, `cannot restore the ${NAMES[vcs]} working copy ${root}: its remote ${stripCredentials(url)} cannot be reached (${reason})`, {
    hint: `The files stored in the snapshot can still be restored on their own; to rebuild the repository from where it is now, restore again with --vcs-remote ${stripCredentials(recorded)}=NEW_URL.`,
    cause: error,
  });
}
