/** A file of a snapshot: text with line numbers and highlighting, an image, or a note for binary and large files; with download and history links. */
import { useEffect, useRef, useState } from 'preact/hooks';
import { fileUrl } from '../api.js';
import { bytes, baseName, isImage } from '../format.js';
import { highlight } from '../highlight.js';
import { href } from '../route.js';

/** Files larger than this are not previewed (download them instead). */
const MAX_PREVIEW = 2 * 1024 * 1024;

type Content =
  | { kind: 'loading' }
  | { kind: 'text'; html: string; lines: number; language: string | null }
  | { kind: 'binary'; size: number }
  | { kind: 'large'; size: number }
  | { kind: 'error'; message: string };

/** Whether bytes look binary: a NUL in the first 8000 (as grep decides). */
function looksBinary(data: Uint8Array): boolean {
  return data.subarray(0, 8000).includes(0);
}

/** The preview of `path` in `snapshot`; `line` is marked and scrolled to. */
export function Preview({ snapshot, path, size, line, onClose }: { snapshot: string; path: string; size?: number; line?: number; onClose?: () => void }) {
  const [content, setContent] = useState<Content>({ kind: 'loading' });
  const marked = useRef<HTMLSpanElement>(null);
  const image = isImage(path);
  useEffect(() => {
    if (image) return undefined;
    if (size !== undefined && size > MAX_PREVIEW) {
      setContent({ kind: 'large', size });
      return undefined;
    }
    const abort = new AbortController();
    setContent({ kind: 'loading' });
    fetch(fileUrl(snapshot, path), { signal: abort.signal })
      .then(async (res) => {
        if (!res.ok) {
          const body = (await res.json().catch(() => ({}))) as { error?: { message?: string } };
          throw new Error(body.error?.message ?? `${res.status} ${res.statusText}`);
        }
        const data = new Uint8Array(await res.arrayBuffer());
        if (data.length > MAX_PREVIEW) return setContent({ kind: 'large', size: data.length });
        if (looksBinary(data)) return setContent({ kind: 'binary', size: data.length });
        const text = new TextDecoder().decode(data);
        const { html, language } = highlight(text, path);
        return setContent({ kind: 'text', html, language, lines: text.split('\n').length - (text.endsWith('\n') ? 1 : 0) });
      })
      .catch((err: unknown) => {
        if (!abort.signal.aborted) setContent({ kind: 'error', message: err instanceof Error ? err.message : String(err) });
      });
    return () => abort.abort();
  }, [snapshot, path, image]);
  useEffect(() => {
    marked.current?.scrollIntoView({ block: 'center' });
  }, [content, line]);

  return (
    <article class="preview" aria-label={`preview of ${path}`}>
      <header>
        <h2 title={path}>{baseName(path)}</h2>
        <div class="actions">
          <a class="button" href={fileUrl(snapshot, path, true)} download={baseName(path)}>Download</a>
          <a class="button" href={href('versions', { path })}>Versions</a>
          <a class="button" href={href('restore', { snap: snapshot, paths: path })}>Restore…</a>
          {onClose === undefined ? null : <button class="close" onClick={onClose} aria-label="close the preview">✕</button>}
        </div>
      </header>
      {image ? (
        <div class="image"><img src={fileUrl(snapshot, path)} alt={path} /></div>
      ) : content.kind === 'loading' ? (
        <p class="muted">Loading…</p>
      ) : content.kind === 'error' ? (
        <p class="error" role="alert">{content.message}</p>
      ) : content.kind === 'binary' ? (
        <p class="muted">A binary file of {bytes(content.size)}: download it to open it.</p>
      ) : content.kind === 'large' ? (
        <p class="muted">{bytes(content.size)} is too large to preview: download it.</p>
      ) : (
        <div class="code">
          <pre class="gutter" aria-hidden="true">
            {Array.from({ length: Math.max(1, content.lines) }, (_, i) => (i + 1 === line ? <span ref={marked} class="mark">{i + 1}{'\n'}</span> : `${i + 1}\n`))}
          </pre>
          <pre class={`text hljs${content.language === null ? '' : ` language-${content.language}`}`}><code dangerouslySetInnerHTML={{ __html: content.html }} /></pre>
        </div>
      )}
    </article>
  );
}
