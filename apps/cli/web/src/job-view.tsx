/** A running job's progress bar, its current path, a Cancel button, and its result once it ends. */
import { useEffect, useState } from 'preact/hooks';
import { send, watchJob } from './api.js';
import type { ApiErrorBody, JobState, Progress } from './api.js';
import { ProgressBar } from './components.js';
import { JobResult } from './job-result.js';
import { bytes } from './format.js';

/** How a job ended. */
export interface JobEnd {
  readonly state: JobState;
  readonly result?: Record<string, unknown>;
  readonly error?: ApiErrorBody;
}

/** Follows job `id` of `kind` (server-sent events) until it ends; `unit` says whether progress counts bytes. */
export function JobView({ id, kind, label, unit, onEnd }: { id: string; kind: string; label: string; unit: 'bytes' | 'items'; onEnd?: (end: JobEnd) => void }) {
  const [progress, setProgress] = useState<Progress>({});
  const [end, setEnd] = useState<JobEnd | undefined>(undefined);
  const [cancelling, setCancelling] = useState(false);
  const [cancelError, setCancelError] = useState<string | undefined>(undefined);
  useEffect(() => {
    setEnd(undefined);
    setProgress({});
    return watchJob(id, {
      progress: setProgress,
      end: (e) => {
        setEnd(e);
        onEnd?.(e);
      },
    });
  }, [id]);
  const cancel = () => {
    setCancelling(true);
    send('DELETE', `jobs/${encodeURIComponent(id)}`).catch((err: unknown) => {
      setCancelling(false);
      setCancelError(err instanceof Error ? err.message : String(err));
    });
  };
  const count = (n: number | undefined) => (n === undefined ? '?' : unit === 'bytes' ? bytes(n) : String(n));
  return (
    <div class={`job ${end?.state ?? 'running'}`} data-job={id} data-state={end?.state ?? 'running'}>
      {end === undefined ? (
        <>
          <ProgressBar done={progress.done ?? 0} total={progress.total} label={label} />
          <p class="job-line">
            <span>{count(progress.done)} of {count(progress.total)}{progress.files === undefined ? '' : ` · ${progress.files}${progress.filesTotal === undefined ? '' : ` of ${progress.filesTotal}`} file${(progress.filesTotal ?? progress.files) === 1 ? '' : 's'}`}</span>
            {progress.current === undefined ? null : <code class="current" title={progress.current}>{progress.current}</code>}
            <button class="danger" onClick={cancel} disabled={cancelling}>{cancelling ? 'Cancelling…' : 'Cancel'}</button>
          </p>
          {cancelError === undefined ? null : <p class="error" role="alert">{cancelError}</p>}
        </>
      ) : (
        <div class="job-end" role="status">
          <p class={`state ${end.state}`}>{label}: {end.state === 'done' ? 'done' : end.state === 'cancelled' ? 'cancelled' : 'failed'}</p>
          {end.error === undefined ? null : <p class="error">{end.error.message} <span class="muted">({end.error.code})</span></p>}
          {end.result === undefined ? null : <JobResult kind={kind} result={end.result} />}
        </div>
      )}
    </div>
  );
}
