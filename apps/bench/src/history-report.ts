import { formatMegabytes, formatRatio, formatRss, formatSeconds, markdownTable } from './format.js';
import type { HistoryFloor } from './history-floors.js';
import type { HistoryRestoreSample, HistorySample } from './history.js';
import { ratioPeers } from './report.js';
import { median, ratio } from './stats.js';
import { TOOL_SETTINGS } from './tools.js';
import type { ToolName } from './tools.js';

/** Per tool, the medians over repetitions of a history run. */
export type HistoryMedians = Record<
  'totalSeconds' | 'firstSeconds' | 'laterSeconds' | 'finalRepoBytes' | 'peakRss' | 'restoreSeconds' | 'restoreCpuSeconds' | 'restorePeakRss',
  Partial<Record<ToolName, number>>
>;

/**
 * Medians over the repetitions where a tool backed up every version: total time, time of
 * the first version, time of all later ones, the final repository size and the largest peak RSS;
 * and of the verified restores of the last version: wall time, user+sys CPU time and peak RSS.
 */
export function computeHistoryMedians(samples: readonly HistorySample[], tools: readonly ToolName[], versions: readonly string[], restores: readonly HistoryRestoreSample[] = []): HistoryMedians {
  const out: HistoryMedians = { totalSeconds: {}, firstSeconds: {}, laterSeconds: {}, finalRepoBytes: {}, peakRss: {}, restoreSeconds: {}, restoreCpuSeconds: {}, restorePeakRss: {} };
  for (const tool of tools) {
    const perRep = new Map<number, HistorySample[]>();
    for (const s of samples) if (s.tool === tool) perRep.set(s.rep, [...(perRep.get(s.rep) ?? []), s]);
    const complete = [...perRep.values()].filter((runs) => runs.length === versions.length);
    const put = (key: keyof HistoryMedians, values: number[]): void => {
      const m = median(values);
      if (m !== undefined) out[key][tool] = m;
    };
    put('totalSeconds', complete.map((runs) => runs.reduce((sum, s) => sum + s.seconds, 0)));
    put('firstSeconds', complete.map((runs) => runs[0]!.seconds));
    put('laterSeconds', complete.map((runs) => runs.slice(1).reduce((sum, s) => sum + s.seconds, 0)));
    put('finalRepoBytes', complete.map((runs) => runs[runs.length - 1]!.repoBytes));
    const rss = complete.map((runs) => Math.max(...runs.map((s) => s.peakRss ?? Number.NaN))).filter((v) => !Number.isNaN(v));
    put('peakRss', rss);
    const restored = restores.filter((r) => r.tool === tool && r.verified);
    put('restoreSeconds', restored.map((r) => r.seconds));
    put('restoreCpuSeconds', restored.flatMap((r) => (r.userSeconds === undefined || r.systemSeconds === undefined ? [] : [r.userSeconds + r.systemSeconds])));
    put('restorePeakRss', restored.flatMap((r) => (r.peakRss === undefined ? [] : [r.peakRss])));
  }
  return out;
}

/** The markdown table of a history run, with cairn/peer ratios. */
export function historyTable(medians: HistoryMedians, tools: readonly ToolName[], versions: readonly string[]): string {
  const peers = ratioPeers(tools);
  const header = ['history', ...tools, ...peers.map((peer) => `cairn/${peer}`)];
  const row = (label: string, values: Partial<Record<ToolName, number>>, format: (v: number | undefined) => string): string[] => [
    label,
    ...tools.map((tool) => format(values[tool])),
    ...peers.map((peer) => formatRatio(ratio(values.cairn, values[peer]))),
  ];
  return markdownTable(header, [
    row(`total backup time, ${versions.length} versions`, medians.totalSeconds, formatSeconds),
    row(`first version (${versions[0] ?? ''})`, medians.firstSeconds, formatSeconds),
    row(`the ${Math.max(0, versions.length - 1)} later versions`, medians.laterSeconds, formatSeconds),
    row('final repository size', medians.finalRepoBytes, formatMegabytes),
    row('peak RSS (largest of all backups)', medians.peakRss, formatRss),
    row(`restore of the last version (${versions[versions.length - 1] ?? ''})`, medians.restoreSeconds, formatSeconds),
    row('restore, user+sys CPU', medians.restoreCpuSeconds, formatSeconds),
    row('restore, peak RSS', medians.restorePeakRss, formatRss),
    ['encryption', ...tools.map((tool) => TOOL_SETTINGS[tool].encryption), ...peers.map(() => '')],
  ]);
}

/** The floors beside each tool's final repository size: the floor's size and time, and tool/floor. */
export function historyFloorTable(floors: readonly HistoryFloor[], medians: HistoryMedians, tools: readonly ToolName[]): string {
  return markdownTable(
    ['floor', 'size', 'time', ...tools.map((tool) => `${tool}/floor`)],
    floors.map((floor) => [floor.label, formatMegabytes(floor.bytes), formatSeconds(floor.seconds), ...tools.map((tool) => formatRatio(ratio(medians.finalRepoBytes[tool], floor.bytes)))]),
  );
}
