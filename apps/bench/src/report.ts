import type { Phase, Sample } from './compare.js';
import { formatMegabytes, formatRatio, formatRss, formatSeconds, markdownTable } from './format.js';
import { median, ratio } from './stats.js';
import { TOOL_SETTINGS } from './tools.js';
import type { ToolName } from './tools.js';

/** One row of the comparison table: a phase and what is measured of it. */
export interface Metric {
  readonly key: string;
  readonly label: string;
  readonly phase: Phase;
  /** cpuSeconds: user + system CPU time of the sample (both measured, or none). */
  readonly field: 'seconds' | 'cpuSeconds' | 'repoBytes' | 'peakRss';
}

/** The rows of the comparison table, in order. */
export const METRICS: readonly Metric[] = [
  { key: 'first.seconds', label: 'first backup', phase: 'first', field: 'seconds' },
  { key: 'noop.seconds', label: 'no-op backup', phase: 'noop', field: 'seconds' },
  { key: 'change.seconds', label: 'backup after a small change', phase: 'change', field: 'seconds' },
  { key: 'restore.seconds', label: 'restore latest', phase: 'restore', field: 'seconds' },
  { key: 'first.cpuSeconds', label: 'user+sys CPU, first backup', phase: 'first', field: 'cpuSeconds' },
  { key: 'noop.cpuSeconds', label: 'user+sys CPU, no-op backup', phase: 'noop', field: 'cpuSeconds' },
  { key: 'change.cpuSeconds', label: 'user+sys CPU, backup after change', phase: 'change', field: 'cpuSeconds' },
  { key: 'restore.cpuSeconds', label: 'user+sys CPU, restore', phase: 'restore', field: 'cpuSeconds' },
  { key: 'first.repoBytes', label: 'repository size after first backup', phase: 'first', field: 'repoBytes' },
  { key: 'change.repoBytes', label: 'repository size after change', phase: 'change', field: 'repoBytes' },
  { key: 'first.peakRss', label: 'peak RSS, first backup', phase: 'first', field: 'peakRss' },
  { key: 'noop.peakRss', label: 'peak RSS, no-op backup', phase: 'noop', field: 'peakRss' },
  { key: 'change.peakRss', label: 'peak RSS, backup after change', phase: 'change', field: 'peakRss' },
  { key: 'restore.peakRss', label: 'peak RSS, restore', phase: 'restore', field: 'peakRss' },
];

/** The figure `field` of one sample; cpuSeconds is user + system time, undefined unless both were measured. */
export function sampleValue(sample: Sample, field: Metric['field']): number | undefined {
  if (field !== 'cpuSeconds') return sample[field];
  return sample.userSeconds === undefined || sample.systemSeconds === undefined ? undefined : sample.userSeconds + sample.systemSeconds;
}

/** Medians by metric key and tool. */
export type Medians = Record<string, Partial<Record<ToolName, number>>>;

/** The median of every metric for every tool over the repetitions that have it. */
export function computeMedians(samples: readonly Sample[], tools: readonly ToolName[]): Medians {
  const out: Medians = {};
  for (const metric of METRICS) {
    const row: Partial<Record<ToolName, number>> = {};
    for (const tool of tools) {
      const values = samples.filter((s) => s.tool === tool && s.phase === metric.phase).map((s) => sampleValue(s, metric.field)).filter((v): v is number => v !== undefined);
      const m = median(values);
      if (m !== undefined) row[tool] = m;
    }
    out[metric.key] = row;
  }
  return out;
}

/** The peers cairn is compared with in ratio columns: those in `tools`, when cairn is too. */
export function ratioPeers(tools: readonly ToolName[]): ToolName[] {
  return tools.includes('cairn') ? tools.filter((tool) => tool !== 'cairn') : [];
}

/**
 * The markdown table: a row per metric with each tool's median and cairn/peer ratios,
 * then whether every restore was verified, and each tool's encryption and compression.
 */
export function comparisonTable(medians: Medians, samples: readonly Sample[], tools: readonly ToolName[], cairnArgs: readonly string[] = []): string {
  const peers = ratioPeers(tools);
  const header = ['phase', ...tools, ...peers.map((peer) => `cairn/${peer}`)];
  const rows = METRICS.map((metric) => {
    const values = medians[metric.key] ?? {};
    const format = metric.field === 'seconds' || metric.field === 'cpuSeconds' ? formatSeconds : metric.field === 'repoBytes' ? formatMegabytes : formatRss;
    return [metric.label, ...tools.map((tool) => format(values[tool])), ...peers.map((peer) => formatRatio(ratio(values.cairn, values[peer])))];
  });
  rows.push(['restore verified', ...tools.map((tool) => verification(samples, tool)), ...peers.map(() => '')]);
  // CAIRN_BENCH_PASSWORD encrypts cairn's repository (tools.ts).
  const encryption = (tool: ToolName): string => (tool === 'cairn' && (process.env['CAIRN_BENCH_PASSWORD'] ?? '') !== '' ? 'aes-256-gcm (CAIRN_BENCH_PASSWORD)' : TOOL_SETTINGS[tool].encryption);
  rows.push(['encryption', ...tools.map(encryption), ...peers.map(() => '')]);
  const compression = (tool: ToolName): string =>
    tool === 'cairn' && cairnArgs.length > 0 ? `repository default; backup ${cairnArgs.join(' ')}` : TOOL_SETTINGS[tool].compression;
  rows.push(['compression', ...tools.map(compression), ...peers.map(() => '')]);
  return markdownTable(header, rows);
}

/** "yes (3/3)" when every restore of `tool` matched the source, "NO (1/3)" otherwise, "–" without restores. */
export function verification(samples: readonly Sample[], tool: ToolName): string {
  const restores = samples.filter((s) => s.tool === tool && s.phase === 'restore');
  if (restores.length === 0) return '–';
  const good = restores.filter((s) => s.verified === true).length;
  return `${good === restores.length ? 'yes' : 'NO'} (${good}/${restores.length})`;
}
