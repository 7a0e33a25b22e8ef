/** The API's long operations: restore and check as jobs (jobs.ts), their list, their events and their cancelling. */
import { parseDataSubset, restore } from '@cairn/repository';
import type { OverwritePolicy } from '@cairn/repository';
import { checkUnderLease } from '../check-run.js';
import { localRestoreTarget, OVERWRITE_POLICIES } from '../restore-target.js';
import { ApiError, readJsonBody, sendJson } from './http.js';
import { restoreTargetParam, snapshotPathParam } from './paths.js';
import type { Route, RouteContext } from './router.js';

/** A literal path as a restore pattern: glob characters in names match only themselves. */
function literal(path: string): string {
  return path.replace(/[*?[\]{}()!+@\\]/g, '\\$&');
}

/**
 * POST /api/restore {snapshot, paths, target, overwrite, dryRun?}: the engine's restore (as
 * `cairn restore <snapshot> --target <target> <paths…>`) as a job; 202 {job}.
 */
async function startRestore({ request, response, session, jobs, restoreRoot }: RouteContext): Promise<void> {
  const body = await readJsonBody(request);
  if (typeof body['snapshot'] !== 'string' || body['snapshot'] === '') throw new ApiError(400, 'ERR_USAGE', 'snapshot: give the id (or a unique prefix, or "latest") of the snapshot to restore from');
  const given = body['paths'] ?? ['/'];
  if (!Array.isArray(given) || given.length === 0 || !given.every((p): p is string => typeof p === 'string')) throw new ApiError(400, 'ERR_PATH', 'paths: give a list of paths in the snapshot, e.g. ["/proj/a.txt"] (["/"]: all of it)');
  const paths = given.map((p, i) => snapshotPathParam(p, `paths[${i}]`));
  const target = restoreTargetParam(body['target'], restoreRoot);
  const overwriteText = body['overwrite'] ?? 'if-changed';
  const overwrite = OVERWRITE_POLICIES.find((p) => p === overwriteText) as OverwritePolicy | undefined;
  if (overwrite === undefined) throw new ApiError(400, 'ERR_USAGE', `overwrite wants one of ${OVERWRITE_POLICIES.join(', ')}, not ${JSON.stringify(overwriteText)}`);
  const dryRun = body['dryRun'] === true;
  const repo = await session.repo();
  // The snapshot is found now, so a bad id is this request's 404, not a failed job.
  const { id } = await session.find(body['snapshot']);
  const include = paths.includes('') ? [] : paths.map(literal);
  const job = jobs.start('restore', async ({ signal, progress }) => {
    const result = await restore(repo, id, {
      ...localRestoreTarget(target),
      include,
      overwrite,
      dryRun,
      signal,
      onProgress: (p) => progress({ done: p.bytesDone, total: p.bytesTotal, files: p.filesDone, filesTotal: p.filesTotal, current: p.path }),
    });
    // Entries that could not be restored are in result.problems (the CLI's exit code 3: partial).
    return { ...result, target, partial: result.problems.length > 0 };
  });
  sendJson(response, 202, { job });
}

/** POST /api/check {readData?, readDataSubset?}: the engine's check (as `cairn check`) as a job; 202 {job}. */
async function startCheck({ request, response, session, jobs }: RouteContext): Promise<void> {
  const body = await readJsonBody(request);
  const readData = body['readData'] === true;
  const subsetText = body['readDataSubset'];
  if (subsetText !== undefined && typeof subsetText !== 'string') throw new ApiError(400, 'ERR_USAGE', 'readDataSubset wants a string: N% or K/M');
  const subset = subsetText === undefined ? undefined : parseDataSubset(subsetText);
  const repo = await session.repo();
  const job = jobs.start('check', async ({ signal, progress }) => {
    const notes: string[] = [];
    const result = await checkUnderLease(repo, {
      readData,
      ...(subset === undefined ? {} : { readDataSubset: subset }),
      signal,
      onProgress: (p) => progress({ phase: p.phase, done: p.done, total: p.total }),
    }, (note) => notes.push(note));
    return { ...result, notes: [...notes, ...result.notes], ok: result.problems.length === 0 };
  });
  sendJson(response, 202, { job });
}

/** The job routes. */
export const jobRoutes: readonly Route[] = [
  { method: 'POST', path: '/api/restore', handle: startRestore },
  { method: 'POST', path: '/api/check', handle: startCheck },
  { method: 'GET', path: '/api/jobs', handle: async ({ jobs, response }) => sendJson(response, 200, { jobs: jobs.list() }) },
  { method: 'GET', path: '/api/jobs/:id/events', handle: async ({ jobs, params, response }) => jobs.events(params['id']!, response) },
  { method: 'DELETE', path: '/api/jobs/:id', handle: async ({ jobs, params, response }) => sendJson(response, 200, { job: jobs.cancel(params['id']!) }) },
];
