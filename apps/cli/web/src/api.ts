/** The shapes of the `cairn ui` JSON API (docs/API.md) and the calls the page makes. */
import { encodeName, queryString } from './names.js';

/** What a backup recorded about itself. */
export interface Summary {
  readonly files: number;
  readonly dirs: number;
  readonly bytesRead: number;
  readonly bytesAdded: number;
  readonly storedAdded: number;
}

/** One snapshot as /api/snapshots lists it. */
export interface Snapshot {
  readonly id: string;
  readonly short: string;
  readonly time: string;
  readonly host: string;
  readonly paths: readonly string[];
  readonly tags: readonly string[];
  readonly kind: string;
  readonly parent: string | null;
  readonly summary: Summary | null;
  readonly project: string | null;
  readonly client?: string | null;
}

/** One entry of a folder in a snapshot. */
export interface Entry {
  readonly name: string;
  readonly type: 'file' | 'dir' | 'symlink' | 'other';
  readonly size: number;
  readonly mode: number;
  readonly mtime: string;
  readonly target?: string;
}

/** The repository's identity and size. */
export interface RepoInfo {
  readonly location: string;
  readonly id: string;
  readonly version: number;
  readonly encrypted: boolean;
  readonly deltas: boolean;
  readonly size: number;
  readonly packs: number;
  readonly snapshots: number;
}

/** A file's size and time on one side of a diff. */
export interface Side {
  readonly size: number;
  readonly mtime: string;
}

/** One changed path between two snapshots. */
export interface Change {
  readonly path: string;
  readonly change: 'added' | 'removed' | 'modified' | 'type';
  readonly before: Side | null;
  readonly after: Side | null;
}

/** Both texts of one file across two snapshots. */
export interface FileDiff {
  readonly path: string;
  readonly before: string | null;
  readonly after: string | null;
  readonly binary: boolean;
}

/** A name match across history. */
export interface FindMatch {
  readonly path: string;
  readonly type?: string;
  readonly size?: number;
  readonly snapshots: readonly string[];
  readonly first: string;
  readonly last: string;
}

/** A content match with the snapshot that introduced it. */
export interface GrepMatch {
  readonly path: string;
  readonly line: number;
  readonly text: string;
  readonly snapshot: string;
  readonly introduced: { readonly snapshot: string; readonly time: string } | null;
}

/** One version of a file. */
export interface Version {
  readonly snapshot: string;
  readonly time: string;
  readonly size: number;
  readonly mtime: string;
  readonly hash?: string;
}

/** A plan's status (the objects `cairn status --json` prints). */
export interface PlanStatus {
  readonly plan?: string;
  readonly name?: string;
  readonly trigger?: string;
  readonly schedule?: string | null;
  readonly lastRun: { readonly result: string; readonly time: string; readonly snapshot: string | null; readonly durationMs?: number; readonly error?: string | null } | null;
  readonly lastSuccess?: string | null;
  readonly nextRun: string | null;
  readonly failures: number;
  readonly overdue: boolean;
  readonly why?: string | null;
  readonly lastError?: string | null;
  readonly repositorySize?: number | null;
}

/** One point of the repository's growth. */
export interface HistoryPoint {
  readonly snapshot: string;
  readonly time: string;
  readonly bytesAdded: number;
  readonly storedAdded: number;
  readonly repoSize: number;
}

/** A job's state. */
export type JobState = 'running' | 'done' | 'failed' | 'cancelled';

/** A long operation (restore, check). */
export interface Job {
  readonly id: string;
  readonly kind: string;
  readonly state: JobState;
  readonly progress: Progress;
  readonly result?: Record<string, unknown>;
  readonly error?: ApiErrorBody;
}

/** A job's progress event. */
export interface Progress {
  readonly done?: number;
  readonly total?: number;
  readonly files?: number;
  readonly filesTotal?: number;
  readonly current?: string;
}

/** The body of an API error. */
export interface ApiErrorBody {
  readonly code: string;
  readonly message: string;
}

/** The event the window gets when the API refused the page (no token, or a `cairn ui` restarted with a new one). */
export const UNAUTHORIZED = 'cairn:unauthorized';

/** An API call that answered with an error. */
export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

/** The query string of `params`, leaving out undefined values (names that are not UTF-8 kept byte for byte: see names.ts). */
export function query(params: Record<string, string | number | boolean | undefined>): string {
  return queryString(params);
}

async function answer<T>(res: Response): Promise<T> {
  if (res.ok) return (await res.json()) as T;
  let code = `HTTP_${res.status}`;
  let message = `${res.status} ${res.statusText}`;
  try {
    const body = (await res.json()) as { error?: ApiErrorBody };
    if (body.error !== undefined) ({ code, message } = body.error);
  } catch { /* not JSON */ }
  if (res.status === 401) {
    message += ' (open the address `cairn ui` printed, with its token)';
    window.dispatchEvent(new CustomEvent(UNAUTHORIZED));
  }
  throw new ApiError(res.status, code, message);
}

/** GET an API route's JSON. */
export async function get<T>(route: string, signal?: AbortSignal): Promise<T> {
  return answer<T>(await fetch(`/api/${route}`, { headers: { accept: 'application/json' }, ...(signal === undefined ? {} : { signal }) }));
}

/** POST or DELETE an API route with a JSON body. */
export async function send<T>(method: 'POST' | 'DELETE', route: string, body?: unknown): Promise<T> {
  const res = await fetch(`/api/${route}`, {
    method,
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (res.status === 204) return undefined as T;
  return answer<T>(res);
}

/** The URL of a file's bytes in a snapshot (download=true: as an attachment). */
export function fileUrl(snapshot: string, path: string, download = false): string {
  return `/api/snapshots/${encodeName(snapshot)}/file${query({ path, download: download ? 1 : undefined })}`;
}

/** The URL of a folder of a snapshot as a tar or zip archive. */
export function archiveUrl(snapshot: string, path: string, format: 'tar' | 'zip'): string {
  return `/api/snapshots/${encodeName(snapshot)}/archive${query({ path, format })}`;
}

/** Follows a job's events until it ends; returns a function that stops listening. */
export function watchJob(id: string, on: { progress: (p: Progress) => void; end: (e: { state: JobState; result?: Record<string, unknown>; error?: ApiErrorBody }) => void }): () => void {
  const source = new EventSource(`/api/jobs/${encodeURIComponent(id)}/events`);
  let ended = false;
  source.addEventListener('progress', (e) => on.progress(JSON.parse((e as MessageEvent<string>).data) as Progress));
  source.addEventListener('end', (e) => {
    ended = true;
    source.close();
    on.end(JSON.parse((e as MessageEvent<string>).data) as { state: JobState });
  });
  source.onerror = () => {
    if (ended) return;
    // The stream broke before its end: ask for the job's state instead of reconnecting forever.
    source.close();
    get<{ jobs: Job[] }>('jobs').then(({ jobs }) => {
      const job = jobs.find((j) => j.id === id);
      if (job === undefined) on.end({ state: 'failed', error: { code: 'ERR_JOB', message: `job ${id} is gone` } });
      else if (job.state !== 'running') on.end({ state: job.state, ...(job.result ? { result: job.result } : {}), ...(job.error ? { error: job.error } : {}) });
      else on.end({ state: 'failed', error: { code: 'ERR_STREAM', message: 'the progress stream broke; the job still runs (see Stats › Jobs)' } });
    }, (err: unknown) => on.end({ state: 'failed', error: { code: 'ERR_STREAM', message: String(err) } }));
  };
  return () => source.close();
}
