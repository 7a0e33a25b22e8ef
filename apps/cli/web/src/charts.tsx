/** The repository over time, drawn as inline SVG: bytes added per backup (bars) and repository size (line). */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { HistoryPoint } from './api.js';
import { bytes, when } from './format.js';

const H = 200;
const PAD = { left: 56, right: 64, top: 12, bottom: 24 };

/** A round upper bound for an axis, e.g. 3.4 MiB → 4 MiB. */
function ceiling(n: number): number {
  if (n <= 0) return 1;
  const step = 1024 ** Math.floor(Math.log(n) / Math.log(1024));
  const scaled = n / step;
  const nice = [1, 2, 4, 5, 8, 10, 16, 20, 25, 32, 40, 50, 64, 80, 100, 128, 200, 256, 400, 500, 512, 800, 1024].find((v) => v >= scaled) ?? 1024;
  return nice * step;
}

/** Bars of bytes added per backup and a line of repository size, oldest left. `onPick` gets a bar's snapshot. */
export function GrowthChart({ points, onPick }: { points: readonly HistoryPoint[]; onPick?: (snapshot: string) => void }) {
  // The drawing is as wide as its box, so that its text keeps its size on a phone.
  const box = useRef<HTMLElement>(null);
  const [W, setW] = useState(800);
  useEffect(() => {
    const element = box.current;
    if (element === null) return undefined;
    const observer = new ResizeObserver(() => setW(Math.max(300, Math.round(element.clientWidth - 24))));
    observer.observe(element);
    return () => observer.disconnect();
  }, []);
  const [hover, setHover] = useState<number | null>(null);
  const sorted = useMemo(() => [...points].sort((a, b) => a.time.localeCompare(b.time)), [points]);
  // All bars are one path and the size one line: a thousand backups stay a handful of elements.
  const drawn = useMemo(() => {
    if (sorted.length === 0) return null;
    const maxAdded = ceiling(Math.max(...sorted.map((p) => p.bytesAdded)));
    const maxSize = ceiling(Math.max(...sorted.map((p) => p.repoSize)));
    const plotW = W - PAD.left - PAD.right;
    const plotH = H - PAD.top - PAD.bottom;
    const step = plotW / sorted.length;
    const barW = Math.min(36, Math.max(0.5, step * 0.8));
    const y = (v: number, max: number) => PAD.top + plotH - (v / max) * plotH;
    const bar = (i: number) => {
      const p = sorted[i]!;
      // A backup that added anything shows at least a sliver.
      const h = Math.max(p.bytesAdded > 0 ? 1 : 0, PAD.top + plotH - y(p.bytesAdded, maxAdded));
      return { x: PAD.left + step * i + (step - barW) / 2, y: PAD.top + plotH - h, w: barW, h };
    };
    const bars = sorted.map((_, i) => { const b = bar(i); return `M${b.x.toFixed(1)},${(b.y + b.h).toFixed(1)}v${(-b.h).toFixed(1)}h${b.w.toFixed(2)}v${b.h.toFixed(1)}z`; }).join('');
    const line = sorted.map((p, i) => `${i === 0 ? 'M' : 'L'}${(PAD.left + step * (i + 0.5)).toFixed(1)},${y(p.repoSize, maxSize).toFixed(1)}`).join('');
    return { maxAdded, maxSize, plotW, plotH, step, y, bar, bars, line };
  }, [sorted, W]);
  if (drawn === null) return <figure class="chart" ref={box}><p class="muted">No backups to chart yet.</p></figure>;
  const { maxAdded, maxSize, plotW, plotH, step, y, bar, bars, line } = drawn;
  const ticks = [0, 0.5, 1];
  const first = sorted[0]!;
  const last = sorted[sorted.length - 1]!;
  /** The backup under the pointer. */
  const at = (event: MouseEvent): number | null => {
    const svg = (event.currentTarget as SVGRectElement).ownerSVGElement;
    if (svg === null) return null;
    const box = svg.getBoundingClientRect();
    const x = ((event.clientX - box.left) / box.width) * W - PAD.left;
    const i = Math.floor(x / step);
    return i >= 0 && i < sorted.length ? i : null;
  };
  const shown = hover === null ? null : sorted[hover] ?? null;
  const mark = hover === null ? null : bar(hover);
  return (
    <figure class="chart" ref={box}>
      <svg viewBox={`0 0 ${W} ${H}`} width={W} height={H} role="img" aria-label={`bytes added per backup and repository size, ${sorted.length} backups`}>
        {ticks.map((t) => (
          <g key={t}>
            <line class="grid" x1={PAD.left} x2={W - PAD.right} y1={y(t, 1)} y2={y(t, 1)} />
            <text class="axis added" x={PAD.left - 6} y={y(t, 1) + 4} text-anchor="end">{bytes(maxAdded * t)}</text>
            <text class="axis size" x={W - PAD.right + 6} y={y(t, 1) + 4}>{bytes(maxSize * t)}</text>
          </g>
        ))}
        <path class="bars" d={bars} data-count={sorted.length} />
        {mark === null ? null : <rect class="bar-hover" x={mark.x} y={mark.y} width={Math.max(2, mark.w)} height={mark.h} />}
        <path class="size-line" d={line} />
        <text class="axis" x={PAD.left} y={H - 6}>{when(first.time)}</text>
        <text class="axis" x={W - PAD.right} y={H - 6} text-anchor="end">{when(last.time)}</text>
        {shown === null ? null : (
          <text class="axis hover-label" x={PAD.left + plotW / 2} y={PAD.top + 10} text-anchor="middle">{`${shown.snapshot} · ${when(shown.time)} · ${bytes(shown.bytesAdded)} added · repository ${bytes(shown.repoSize)}`}</text>
        )}
        <rect
          class="hit"
          x={PAD.left}
          y={PAD.top}
          width={plotW}
          height={plotH}
          onMouseMove={(e) => setHover(at(e))}
          onMouseLeave={() => setHover(null)}
          onClick={(e) => { const i = at(e); if (i !== null && onPick !== undefined) onPick(sorted[i]!.snapshot); }}
        />
      </svg>
      <figcaption>
        <span class="key added">■ bytes added per backup</span> <span class="key size">— repository size</span>
      </figcaption>
    </figure>
  );
}
