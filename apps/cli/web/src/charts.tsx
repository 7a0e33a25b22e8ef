/** The repository over time, drawn as inline SVG: bytes added per backup (bars) and repository size (line). */
import { useEffect, useRef, useState } from 'preact/hooks';
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
  if (points.length === 0) return <figure class="chart" ref={box}><p class="muted">No backups to chart yet.</p></figure>;
  const sorted = [...points].sort((a, b) => a.time.localeCompare(b.time));
  const maxAdded = ceiling(Math.max(...sorted.map((p) => p.bytesAdded)));
  const maxSize = ceiling(Math.max(...sorted.map((p) => p.repoSize)));
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const step = plotW / sorted.length;
  const barW = Math.min(36, Math.max(0.5, step * 0.8));
  const y = (v: number, max: number) => PAD.top + plotH - (v / max) * plotH;
  const line = sorted.map((p, i) => `${i === 0 ? 'M' : 'L'}${(PAD.left + step * (i + 0.5)).toFixed(1)},${y(p.repoSize, maxSize).toFixed(1)}`).join('');
  const ticks = [0, 0.5, 1];
  const first = sorted[0]!;
  const last = sorted[sorted.length - 1]!;
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
        {sorted.map((p, i) => (
          <rect
            key={p.snapshot}
            class="bar"
            x={PAD.left + step * i + (step - barW) / 2}
            y={y(p.bytesAdded, maxAdded)}
            width={barW}
            height={Math.max(0, PAD.top + plotH - y(p.bytesAdded, maxAdded))}
            onClick={onPick === undefined ? undefined : () => onPick(p.snapshot)}
          >
            <title>{`${p.snapshot} ${when(p.time)}: ${bytes(p.bytesAdded)} added, repository ${bytes(p.repoSize)}`}</title>
          </rect>
        ))}
        <path class="size-line" d={line} />
        <text class="axis" x={PAD.left} y={H - 6}>{when(first.time)}</text>
        <text class="axis" x={W - PAD.right} y={H - 6} text-anchor="end">{when(last.time)}</text>
      </svg>
      <figcaption>
        <span class="key added">■ bytes added per backup</span> <span class="key size">— repository size</span>
      </figcaption>
    </figure>
  );
}
