import { formatMegabytes, formatRatio, formatRss, formatSeconds, markdownTable } from './format.js';
import type { HistorySample } from './history.js';
import { ratioPeers } from './report.js';
import { median, ratio } from './stats.js';
import { TOOL_SETTINGS } from './tools.js';
import type { ToolName } from './tools.js';

/** Per tool, the medians over repetitions of a history run. */
export type HistoryMedians = Record<'totalSeconds' | 'firstSeconds' | 'laterSeconds' | 'finalRepoBytes' | 'peakRss', Partial<Record<ToolName, number>>>;

/**
 * Medians over the repetitions where a tool backed up every version: total time, time of
 * the first version, time of all later ones, the final repository size and the largest peak RSS.
 */
export function computeHistoryMedians(samples: readonly HistorySample[], tools: readonly ToolName[], versions: readonly string[]): HistoryMedians {
  const out: HistoryMedians = { totalSeconds: {}, firstSeconds: {}, laterSeconds: {}, finalRepoBytes: {}, peakRss: {} };
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
    ['encryption', ...tools.map((tool) => TOOL_SETTINGS[tool].encryption), ...peers.map(() => '')],
  ]);
}
