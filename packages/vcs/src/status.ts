import type { FileReference, FileStatus, VcsFile, VcsState, VcsStatus, WorkingCopy } from './types.js';

/** Throws a RangeError unless `path` is relative, '/'-separated and free of '.' and '..' parts. */
export function checkRelativePath(path: string, what: string): void {
  if (typeof path !== 'string') throw new TypeError(`${what}: path must be a string, got ${typeof path}`);
  if (path === '') return;
  if (path.startsWith('/') || path.endsWith('/') || path.includes('//') || hasDotPart(path)) {
    throw new RangeError(`${what}: path "${path}" must be relative to the root, '/'-separated, without '.' or '..' parts`);
  }
}

/** True when a '/'-separated path has a part '.' or '..' (checked without splitting it: this runs for every entry a policy decides). */
function hasDotPart(path: string): boolean {
  // Such a part starts the path or follows a '/': one scan rules out most paths.
  if (path.charCodeAt(0) !== 46 && !path.includes('/.')) return false;
  return path === '.' || path === '..' || path.startsWith('./') || path.startsWith('../') || path.endsWith('/.') || path.endsWith('/..')
    || path.includes('/./') || path.includes('/../');
}

/**
 * Builds the VcsStatus of a working copy from what its VCS listed. `unlisted` is the status of a
 * path the VCS did not list: git lists every tracked, untracked and ignored path, so an unlisted one
 * appeared after the read ('untracked', to be stored); hg and svn list everything but ignored paths.
 */
export function createStatus(copy: WorkingCopy, state: VcsState, files: ReadonlyMap<string, VcsFile>, unlisted: FileStatus): VcsStatus {
  const folders = new Map<string, VcsFile>();
  for (const file of files.values()) if (file.folder === true) folders.set(file.path, file);

  function lookup(path: string): VcsFile {
    checkRelativePath(path, 'lookup');
    const exact = files.get(path);
    if (exact !== undefined) return exact;
    if (folders.size > 0) {
      for (let cut = path.lastIndexOf('/'); cut > 0; cut = path.lastIndexOf('/', cut - 1)) {
        const folder = folders.get(path.slice(0, cut));
        if (folder !== undefined) return { path, status: folder.status };
      }
    }
    return { path, status: unlisted };
  }

  function reference(path: string): FileReference | null {
    checkRelativePath(path, 'reference');
    if (state.head === null) return null;
    const file = files.get(path);
    if (file?.status !== 'clean' || file.id === undefined) return null;
    // A file of an unpushed HEAD is referenced only when pinned to a pushed commit (file.commit).
    if (!state.pushed && file.commit === undefined) return null;
    return { path, id: file.id, commit: file.commit ?? state.head };
  }

  return { copy, state, files, lookup, reference };
}

/** True when a status makes a working copy dirty (everything but clean and ignored). */
export function isDirtyStatus(status: FileStatus): boolean {
  return status !== 'clean' && status !== 'ignored';
}
