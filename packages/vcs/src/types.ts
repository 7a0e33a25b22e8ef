import type { RemoteRewrite } from './url.js';

/** The version control systems the bridge understands. */
export type VcsKind = 'git' | 'hg' | 'svn';

/** A working copy found in a tree: where its files are and where its VCS keeps its data. */
export interface WorkingCopy {
  readonly vcs: VcsKind;
  /** Absolute path of the working tree's top folder. */
  readonly root: string;
  /** Absolute path of the VCS data folder (git: the git dir a `.git` file may point to; hg: `.hg`; svn: `.svn`). */
  readonly metaDir: string;
  /** git: a plain repository, a linked worktree (`git worktree add`) or a submodule; hg and svn: 'repository'. */
  readonly kind: 'repository' | 'worktree' | 'submodule';
}

/**
 * What the VCS says about one path of a working copy:
 * clean (tracked, unchanged), modified, added (new and tracked), deleted (tracked, absent from
 * the working tree), renamed (the new path of a rename), untracked, ignored, conflicted.
 */
export type FileStatus = 'clean' | 'modified' | 'added' | 'deleted' | 'renamed' | 'untracked' | 'ignored' | 'conflicted';

/** One path of a working copy as its VCS sees it; paths are relative to the working copy's root, '/'-separated. */
export interface VcsFile {
  readonly path: string;
  readonly status: FileStatus;
  /**
   * The VCS's id of the committed content (git blob id, hg file node, svn "r<last changed revision>"),
   * present only when the working file's bytes are known to be exactly that content.
   */
  readonly id?: string;
  /** The commit or revision `id` is from, when it is not the head (svn: an item of a mixed-revision working copy; git: the pushed commit an unpushed HEAD descends from). */
  readonly commit?: string;
  /** True when the entry stands for a whole folder (an untracked or ignored folder, collapsed). */
  readonly folder?: boolean;
}

/** A clean, pushed file recorded by reference instead of content. */
export interface FileReference {
  /** Path relative to the working copy's root. */
  readonly path: string;
  /** The VCS's id of its content (see VcsFile.id). */
  readonly id: string;
  /** The commit (git, hg) or revision (svn) it is part of. */
  readonly commit: string;
}

/** A remote of a working copy; credentials in its URL are stripped. */
export interface VcsRemote {
  readonly name: string;
  readonly url: string;
}

/** A local ref (git branch or tag) and where it points. */
export interface VcsRef {
  readonly name: string;
  readonly commit: string;
}

/** A stash entry (git), newest first. */
export interface VcsStash {
  readonly commit: string;
  /** The reflog subject, e.g. "WIP on main: 1a2b3c4 message". */
  readonly message: string;
}

/** Index or working-tree changes a restore must re-apply after laying the stored files down. */
export interface PendingChanges {
  /** Paths scheduled for addition (git: staged new files; hg `A`; svn added). */
  readonly added: readonly string[];
  /** Paths scheduled for removal (git: staged deletions and rename sources; hg `R`; svn deleted). */
  readonly removed: readonly string[];
  /** Tracked paths that are absent from the working tree and must be deleted after the checkout. */
  readonly missing: readonly string[];
}

/** The versioned properties of one item as the working copy has them (svn). */
export interface VcsProperties {
  /** Path relative to the root; '' for the root itself. */
  readonly path: string;
  /** Every property of the item, name -> value. */
  readonly values: Readonly<Record<string, string>>;
  /** Names whose value is base64 (bytes that are not text). */
  readonly base64?: readonly string[];
}

/** The JSON-serialisable record of a working copy's state, kept in a snapshot. */
export interface VcsState {
  readonly vcs: VcsKind;
  readonly root: string;
  readonly kind: WorkingCopy['kind'];
  /** git: HEAD commit; hg: node of the working directory's parent; svn: the working copy's base revision. Null when there is none yet. */
  readonly head: string | null;
  /** git: current branch (null when detached); hg: working directory branch; svn: URL relative to the repository root (^/trunk). */
  readonly branch: string | null;
  /** git: upstream of the branch (origin/main); hg: the `default` path's name when set; svn: null. */
  readonly upstream: string | null;
  /** Commits ahead of / behind the upstream, null when unknown. */
  readonly ahead: number | null;
  readonly behind: number | null;
  readonly remotes: readonly VcsRemote[];
  /** True when anything is modified, added, deleted, renamed, conflicted or untracked (ignored files do not count). */
  readonly dirty: boolean;
  /** True when the head is on the remote (git: reachable from a remote-tracking ref; hg: public; svn: always). */
  readonly pushed: boolean;
  /** Commits no remote has (git: on local branches and tags, not on remote-tracking refs; hg: not public). */
  readonly unpushed: number;
  readonly stashes: readonly VcsStash[];
  /** git: local branches and tags; hg: bookmarks; svn: none. */
  readonly refs: readonly VcsRef[];
  /** hg: the active bookmark, if any. */
  readonly bookmark?: string;
  readonly changes: PendingChanges;
  /** svn: items whose base revision differs from `head` (a mixed-revision working copy). */
  readonly mixedRevisions?: readonly { readonly path: string; readonly revision: number }[];
  /** svn: the full property lists of the items whose properties were changed and not committed (`svn propset`). */
  readonly properties?: readonly VcsProperties[];
}

/** A working copy's state plus per-file answers, as read by readWorkingCopy. */
export interface VcsStatus {
  readonly copy: WorkingCopy;
  readonly state: VcsState;
  /** Every path the VCS listed (tracked files, untracked and ignored entries, collapsed folders). */
  readonly files: ReadonlyMap<string, VcsFile>;
  /** What the VCS says about `path` (relative to the root); inside a listed untracked or ignored folder, that folder's status. */
  lookup(path: string): VcsFile;
  /** The reference to record instead of content, or null when the file must be stored. */
  reference(path: string): FileReference | null;
}

/** What saveExtras wrote into its folder. */
export interface ExtrasManifest {
  /** File names written, relative to the folder ('git.bundle', 'config', 'hooks/pre-commit', …). */
  readonly files: readonly string[];
  /** Refs in the bundle (git) or number of changesets (hg), for messages. */
  readonly bundled: readonly string[];
  /** Things that could not be captured, as sentences. */
  readonly warnings: readonly string[];
}

/** Options of restoreWorkingCopy. */
export interface RestoreWorkingCopyOptions {
  /** The folder saveExtras wrote (bundle, config, hooks…); without it only the remote's content is used. */
  readonly extras?: string;
  /** Clone from this URL instead of the recorded one (whose credentials were stripped). */
  readonly remoteUrl?: string;
  /** Rewrites of the recorded remote URLs (a remote that moved); the rebuilt working copy keeps the rewritten URLs. */
  readonly rewrites?: readonly RemoteRewrite[];
  /** Allow resetting an existing working copy that has uncommitted changes. */
  readonly force?: boolean;
  readonly signal?: AbortSignal;
}

/** What restoreWorkingCopy did. */
export interface RestoreReport {
  /** True when the remote was contacted (cloned or fetched). */
  readonly fetched: boolean;
  /** True when a working copy already existed in the target and was reused. */
  readonly reused: boolean;
  /** Refs or states that could not be re-created, as sentences. */
  readonly warnings: readonly string[];
}
