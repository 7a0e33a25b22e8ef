/** Restore chosen files and folders of a snapshot into a chosen folder, with the overwrite policy, as a job with a progress bar. */
import { useState } from 'preact/hooks';
import { send } from '../api.js';
import { Heading } from '../components.js';
import { JobView } from '../job-view.js';
import { useUpKey } from '../list-keys.js';

const policies = [
  ['never', 'never: keep files already there'],
  ['if-changed', 'if changed: replace a file whose size or time differ'],
  ['always', 'always: replace files already there'],
] as const;

/** The restore page: `snap` and `paths` (one a line) come from the tree, search or versions page. */
export function RestorePage({ snapshot, paths }: { snapshot: string; paths: string }) {
  const [snap, setSnap] = useState(snapshot);
  const [list, setList] = useState(paths);
  const [target, setTarget] = useState(() => localStorage.getItem('cairn.restoreTarget') ?? '');
  const [overwrite, setOverwrite] = useState('never');
  const [job, setJob] = useState<string | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const [running, setRunning] = useState(false);
  useUpKey(() => history.back());
  const chosen = list.split('\n').map((p) => p.trim()).filter((p) => p !== '');
  const start = async (event: Event) => {
    event.preventDefault();
    setError(undefined);
    if (!target.startsWith('/')) return setError('The target folder must be an absolute path (it starts with /).');
    if (chosen.length === 0) return setError('Name at least one path to restore.');
    setBusy(true);
    try {
      localStorage.setItem('cairn.restoreTarget', target);
      const { job: id } = await send<{ job: string }>('POST', 'restore', { snapshot: snap.trim(), paths: chosen, target, overwrite });
      setJob(id);
      setRunning(true);
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section class="page restore">
      <Heading title="Restore" />
      <form class="form" onSubmit={start}>
        <label>Snapshot <input name="snapshot" value={snap} onInput={(e) => setSnap((e.target as HTMLInputElement).value)} required /></label>
        <label>Files and folders (one a line)
          <textarea name="paths" rows={Math.min(8, Math.max(2, chosen.length + 1))} value={list} onInput={(e) => setList((e.target as HTMLTextAreaElement).value)} />
        </label>
        <label>Into the folder <input name="target" value={target} placeholder="/home/me/restored" onInput={(e) => setTarget((e.target as HTMLInputElement).value)} required /></label>
        <label>Files already there
          <select name="overwrite" value={overwrite} onChange={(e) => setOverwrite((e.target as HTMLSelectElement).value)}>
            {policies.map(([value, text]) => <option key={value} value={value}>{text}</option>)}
          </select>
        </label>
        <div class="form-actions">
          <button type="submit" class="primary" disabled={busy || running}>Restore {chosen.length} path{chosen.length === 1 ? '' : 's'}</button>
        </div>
        {error === undefined ? null : <p class="error" role="alert">{error}</p>}
      </form>
      {job === undefined ? null : <JobView key={job} id={job} kind="restore" label="Restore" unit="bytes" onEnd={() => setRunning(false)} />}
    </section>
  );
}
