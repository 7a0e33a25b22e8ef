/** A finished job's result in words: what a restore wrote, what a check verified and found; other results as their fields. */
import { Fields } from './components.js';
import { bytes } from './format.js';

const num = (value: unknown): number => (typeof value === 'number' ? value : 0);
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** "2 files and 1 folder": the kinds a restore wrote, those it wrote none of left out. */
function restored(result: Record<string, unknown>): string {
  const parts = [plural(num(result['files']), 'file')];
  if (num(result['dirs']) > 0) parts.push(plural(num(result['dirs']), 'folder'));
  if (num(result['symlinks']) > 0) parts.push(plural(num(result['symlinks']), 'link'));
  return parts.length === 1 ? parts[0]! : `${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1]!}`;
}

/** Problems or notes as a list: each a sentence (or an object with one). */
function Lines({ items, kind }: { items: unknown; kind: 'error' | 'muted' }) {
  if (!Array.isArray(items) || items.length === 0) return null;
  return (
    <ul class={`result-lines ${kind}`}>
      {items.slice(0, 200).map((item, i) => (
        <li key={i}>{typeof item === 'string' ? item : typeof item === 'object' && item !== null && 'message' in item ? String((item as { message: unknown }).message) : JSON.stringify(item)}</li>
      ))}
      {items.length > 200 ? <li>… and {items.length - 200} more</li> : null}
    </ul>
  );
}

/** The result of a `kind` job. */
export function JobResult({ kind, result }: { kind: string; result: Record<string, unknown> }) {
  if (kind === 'restore') {
    const skipped = num(result['skipped']);
    return (
      <div class="job-result">
        <p>
          {restored(result)} restored ({bytes(num(result['bytesWritten']))} written)
          {typeof result['target'] === 'string' ? <> into <code>{result['target']}</code></> : null}
          {skipped > 0 ? `; ${plural(skipped, 'file')} already there kept` : ''}.
        </p>
        {result['partial'] === true ? <p class="error">Partial: these could not be restored.</p> : null}
        <Lines items={result['problems']} kind="error" />
        <Lines items={result['notRestored']} kind="error" />
      </div>
    );
  }
  if (kind === 'check') {
    const verified = (result['verified'] ?? {}) as Record<string, unknown>;
    const problems = Array.isArray(result['problems']) ? result['problems'] : [];
    return (
      <div class="job-result">
        <p class={problems.length === 0 ? 'ok' : 'error'}>
          {problems.length === 0 ? 'No problems found' : `${plural(problems.length, 'problem')} found`}: {plural(num(verified['snapshots']), 'snapshot')}, {plural(num(verified['trees']), 'tree')}, {plural(num(verified['packs']), 'pack')} checked
          {num(verified['packsRead']) > 0 ? `; ${plural(num(verified['packsRead']), 'pack')} (${bytes(num(verified['bytesRead']))}) read back` : ''}.
        </p>
        <Lines items={problems} kind="error" />
        <Lines items={result['notes']} kind="muted" />
      </div>
    );
  }
  return <Fields value={result} />;
}
