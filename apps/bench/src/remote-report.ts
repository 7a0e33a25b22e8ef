import type { RemotePhase, RemoteSample, Target } from './remote-compare.js';
import { formatRatio, formatRss, formatSeconds, markdownTable } from './format.js';
import { median, ratio } from './stats.js';

/** The targets set for cairn: against a server, a first backup within 1.2× of local and a no-op downloading under 1 MB; encryption costing a first backup under 10%. */
export const REMOTE_TARGETS = { firstRatio: 1.2, noopBytes: 1_000_000, encryptionRatio: 1.1 } as const;

/** Medians of one target. */
export interface TargetMedians {
  readonly seconds: Partial<Record<RemotePhase, number>>;
  readonly peakRss: Partial<Record<RemotePhase, number>>;
  readonly bytesSent: Partial<Record<RemotePhase, number>>;
}

/** "cairn rest", "restic local". */
export function targetKey(target: Pick<Target, 'tool' | 'kind'>): string {
  return `${target.tool} ${target.kind}`;
}

/** The medians of every target over the repetitions that have them, by targetKey. */
export function computeRemoteMedians(samples: readonly RemoteSample[], targets: readonly Target[]): Record<string, TargetMedians> {
  const out: Record<string, TargetMedians> = {};
  for (const target of targets) {
    const mine = samples.filter((s) => s.tool === target.tool && s.kind === target.kind);
    const of = (field: 'seconds' | 'peakRss' | 'bytesSent'): Partial<Record<RemotePhase, number>> => {
      const row: Partial<Record<RemotePhase, number>> = {};
      for (const phase of ['first', 'noop', 'noop-cold'] as const) {
        const m = median(mine.filter((s) => s.phase === phase).map((s) => s[field]).filter((v): v is number => v !== undefined));
        if (m !== undefined) row[phase] = m;
      }
      return row;
    };
    out[targetKey(target)] = { seconds: of('seconds'), peakRss: of('peakRss'), bytesSent: of('bytesSent') };
  }
  return out;
}

/** Bytes as text: "812 B", "35.2 kB", "1.20 MB"; "–" when there is none. */
export function formatBytes(value: number | undefined): string {
  if (value === undefined) return '–';
  if (value < 1000) return `${Math.round(value)} B`;
  if (value < 1e6) return `${(value / 1e3).toFixed(1)} kB`;
  return `${(value / 1e6).toFixed(2)} MB`;
}

/** The table: a row per target with its medians, its first backup against the same tool's local one, and the bytes its server sent. */
export function remoteTable(medians: Record<string, TargetMedians>, targets: readonly Target[]): string {
  const header = ['target', 'first backup', 'no-op backup', 'no-op, cold cache', 'first / local', 'peak RSS, first', 'server sent, first', 'server sent, no-op', 'server sent, cold no-op'];
  const rows = targets.map((target) => {
    const m = medians[targetKey(target)]!;
    const local = medians[targetKey({ tool: target.tool, kind: 'local' })];
    return [
      targetKey(target),
      formatSeconds(m.seconds.first),
      formatSeconds(m.seconds.noop),
      formatSeconds(m.seconds['noop-cold']),
      target.kind === 'local' || target.kind === 'plain' ? '' : formatRatio(ratio(m.seconds.first, local?.seconds.first)),
      formatRss(m.peakRss.first),
      formatBytes(m.bytesSent.first),
      formatBytes(m.bytesSent.noop),
      formatBytes(m.bytesSent['noop-cold']),
    ];
  });
  return markdownTable(header, rows);
}

/**
 * One line per cairn server target: its first backup against local and its no-op's download, each
 * against the issue's target; and a line on what encryption costs cairn's first local backup.
 */
export function remoteChecks(medians: Record<string, TargetMedians>, targets: readonly Target[]): string[] {
  const local = medians['cairn local']?.seconds.first;
  const plain = medians['cairn plain']?.seconds.first;
  const cost = ratio(local, plain);
  const encryption = plain === undefined ? [] : [
    `encryption: cairn local (with a password) first backup ${cost === undefined ? '–' : `${formatRatio(cost)}×`} cairn plain (none) (target < ${REMOTE_TARGETS.encryptionRatio}×: ${cost === undefined ? 'not measured' : cost < REMOTE_TARGETS.encryptionRatio ? 'met' : 'MISSED'})`,
  ];
  return [...encryption, ...targets.filter((t) => t.tool === 'cairn' && t.kind !== 'local' && t.kind !== 'plain').map((target) => {
    const m = medians[targetKey(target)]!;
    const r = ratio(m.seconds.first, local);
    const bytes = m.bytesSent.noop;
    const verdict = (ok: boolean | undefined): string => (ok === undefined ? 'not measured' : ok ? 'met' : 'MISSED');
    return `${targetKey(target)}: first backup ${r === undefined ? '–' : `${formatRatio(r)}×`} local (target ≤ ${REMOTE_TARGETS.firstRatio}×: ${verdict(r === undefined ? undefined : r <= REMOTE_TARGETS.firstRatio)}); no-op downloaded ${formatBytes(bytes)} (target < 1 MB: ${verdict(bytes === undefined ? undefined : bytes < REMOTE_TARGETS.noopBytes)})`;
  })];
}
