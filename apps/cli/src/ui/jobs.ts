/**
 * Long operations of the web UI (restore, check) as jobs: each runs the engine call with an
 * AbortSignal, keeps its latest progress, streams it to listeners as server-sent events and
 * ends done, failed or cancelled. DELETE aborts the signal: the engine stops at its next safe point.
 */
import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { isCairnError } from '@cairn/core';
import { apiErrorOf, ApiError, SAFE_HEADERS } from './http.js';

/** A job's state. */
export type JobState = 'running' | 'done' | 'failed' | 'cancelled';

/** A job as GET /api/jobs shows it. */
export interface JobView {
  readonly id: string;
  readonly kind: string;
  readonly state: JobState;
  readonly started: string;
  readonly ended: string | null;
  readonly progress: Record<string, unknown>;
  readonly result?: unknown;
  readonly error?: { code: string; message: string };
}

interface Job {
  id: string;
  kind: string;
  state: JobState;
  started: string;
  ended: string | null;
  progress: Record<string, unknown>;
  result?: unknown;
  error?: { code: string; message: string };
  stop: AbortController;
  listeners: Set<ServerResponse>;
  lastSent: number;
}

/** What a job's work gets: the signal to stop at and a way to report progress. */
export interface JobControl {
  readonly signal: AbortSignal;
  progress(progress: Record<string, unknown>): void;
}

/** The jobs of one server. */
export interface JobRegistry {
  /** Starts `work` as a job of `kind`; its result (JSON) ends it done. Returns the job's id at once. */
  start(kind: string, work: (control: JobControl) => Promise<unknown>): string;
  list(): JobView[];
  /** Streams a job's progress and end as server-sent events; 404 for an unknown job. */
  events(id: string, response: ServerResponse): void;
  /** Cancels a running job (a finished one is left as it is); 404 for an unknown job. */
  cancel(id: string): JobView;
  /** Cancels every running job and waits for them to end (the server stops). */
  stopAll(): Promise<void>;
}

/** Finished jobs kept for GET /api/jobs: the newest this many. */
const KEEP_FINISHED = 50;
/** The least time between two progress events of a job. */
const PROGRESS_EVERY_MS = 100;

/** A new, empty job registry. */
export function createJobRegistry(): JobRegistry {
  const jobs = new Map<string, Job>();
  const running = new Set<Promise<void>>();

  const view = (job: Job): JobView => ({
    id: job.id, kind: job.kind, state: job.state, started: job.started, ended: job.ended, progress: job.progress,
    ...(job.result === undefined ? {} : { result: job.result }),
    ...(job.error === undefined ? {} : { error: job.error }),
  });
  const send = (response: ServerResponse, event: string, data: unknown): void => {
    response.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  };
  const endEvent = (job: Job): object => ({ state: job.state, ...(job.result === undefined ? {} : { result: job.result }), ...(job.error === undefined ? {} : { error: job.error }) });
  const finish = (job: Job): void => {
    job.ended = new Date().toISOString();
    for (const listener of job.listeners) {
      send(listener, 'progress', job.progress);
      send(listener, 'end', endEvent(job));
      listener.end();
    }
    job.listeners.clear();
    const finished = [...jobs.values()].filter((j) => j.state !== 'running');
    for (const old of finished.slice(0, Math.max(0, finished.length - KEEP_FINISHED))) jobs.delete(old.id);
  };
  const find = (id: string): Job => {
    const job = jobs.get(id);
    if (job === undefined) throw new ApiError(404, 'ERR_NOT_FOUND', `no job ${JSON.stringify(id)} (finished jobs are kept until ${KEEP_FINISHED} newer ones finished)`);
    return job;
  };

  return {
    start(kind, work) {
      const job: Job = {
        id: randomBytes(8).toString('hex'), kind, state: 'running', started: new Date().toISOString(), ended: null,
        progress: {}, stop: new AbortController(), listeners: new Set(), lastSent: 0,
      };
      jobs.set(job.id, job);
      const control: JobControl = {
        signal: job.stop.signal,
        progress(progress) {
          job.progress = progress;
          const now = Date.now();
          if (now - job.lastSent < PROGRESS_EVERY_MS) return;
          job.lastSent = now;
          for (const listener of job.listeners) send(listener, 'progress', progress);
        },
      };
      const run = (async () => {
        try {
          job.result = await work(control);
          job.state = job.stop.signal.aborted ? 'cancelled' : 'done';
        } catch (error) {
          const { code, message } = apiErrorOf(error);
          job.state = job.stop.signal.aborted && (isCairnError(error, 'ERR_ABORTED') || error instanceof DOMException) ? 'cancelled' : 'failed';
          job.error = { code, message: message.split('\n')[0]! };
        }
        finish(job);
      })();
      running.add(run);
      void run.finally(() => running.delete(run));
      return job.id;
    },
    list() {
      return [...jobs.values()].reverse().map(view);
    },
    events(id, response) {
      const job = find(id);
      response.writeHead(200, { ...SAFE_HEADERS, 'Content-Type': 'text/event-stream; charset=utf-8', Connection: 'keep-alive' });
      send(response, 'progress', job.progress);
      if (job.state !== 'running') {
        send(response, 'end', endEvent(job));
        response.end();
        return;
      }
      job.listeners.add(response);
      response.once('close', () => job.listeners.delete(response));
    },
    cancel(id) {
      const job = find(id);
      if (job.state === 'running') job.stop.abort();
      return view(job);
    },
    async stopAll() {
      for (const job of jobs.values()) if (job.state === 'running') job.stop.abort();
      await Promise.allSettled([...running]);
    },
  };
}
