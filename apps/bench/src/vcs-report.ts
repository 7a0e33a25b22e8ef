import type { WorkingCopyMode } from '@cairn/core';
import { markdownTable } from './format.js';
import { median } from './stats.js';
import type { VcsMeasureName, VcsSample } from './vcs-measure.js';

/** Issue 6's goal: the VCS bridge adds under 100 ms per repository to a backup. */
export const VCS_GOAL_MS = 100;

/** Median, min and max of one measurement's samples (ms). */
export interface VcsStats {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly count: number;
}

/** The medians and what a backup in each VCS mode adds over `--vcs off`. */
export interface VcsSummary {
  readonly stats: Partial<Record<VcsMeasureName, VcsStats>>;
  /** median(backup in the mode) − median(backup --vcs off), ms; absent when either was not measured. */
  readonly addedMs: { readonly full?: number; readonly changes?: number };
  /** Whether each added time is under VCS_GOAL_MS. */
  readonly goalMet: { readonly full?: boolean; readonly changes?: boolean };
}

const ORDER: readonly VcsMeasureName[] = ['readWorkingCopy', 'saveExtras', 'backup-off', 'backup-full', 'backup-changes'];

const LABELS: Readonly<Record<VcsMeasureName, string>> = {
  readWorkingCopy: 'readWorkingCopy (library, in process)',
  saveExtras: 'saveExtras (library, in process)',
  'backup-off': 'no-op backup --vcs off',
  'backup-full': 'no-op backup --vcs full',
  'backup-changes': 'no-op backup --vcs changes',
};

/** Summarises the samples: stats per measurement, the added time of full and changes over off, and the goal. */
export function summarizeVcs(samples: readonly VcsSample[]): VcsSummary {
  const stats: Partial<Record<VcsMeasureName, VcsStats>> = {};
  for (const name of ORDER) {
    const values = samples.filter((s) => s.name === name).map((s) => s.ms);
    const mid = median(values);
    if (mid !== undefined) stats[name] = { median: mid, min: Math.min(...values), max: Math.max(...values), count: values.length };
  }
  const off = stats['backup-off']?.median;
  const added = (mode: WorkingCopyMode): number | undefined => {
    const on = stats[`backup-${mode}`]?.median;
    return on === undefined || off === undefined ? undefined : on - off;
  };
  const full = added('full');
  const changes = added('changes');
  return {
    stats,
    addedMs: { ...(full === undefined ? {} : { full }), ...(changes === undefined ? {} : { changes }) },
    goalMet: { ...(full === undefined ? {} : { full: full < VCS_GOAL_MS }), ...(changes === undefined ? {} : { changes: changes < VCS_GOAL_MS }) },
  };
}

/** Milliseconds as text: "42.7 ms", "1234 ms", "-8.1 ms"; "–" when there is none. */
export function formatMs(value: number | undefined): string {
  if (value === undefined) return '–';
  return `${value.toFixed(Math.abs(value) < 100 ? 1 : 0)} ms`;
}

/** The table: median, min and max of each measurement, then the added time per repository and the goal. */
export function vcsTable(summary: VcsSummary, files: number): string {
  const rows: string[][] = [];
  for (const name of ORDER) {
    const s = summary.stats[name];
    if (s !== undefined) rows.push([LABELS[name], formatMs(s.median), formatMs(s.min), formatMs(s.max)]);
  }
  for (const mode of ['full', 'changes'] as const) {
    const added = summary.addedMs[mode];
    if (added === undefined) continue;
    rows.push([`added per repository, --vcs ${mode} (median ${mode} − median off)`, formatMs(added), '', '']);
  }
  for (const mode of ['full', 'changes'] as const) {
    const met = summary.goalMet[mode];
    if (met === undefined) continue;
    rows.push([`goal: --vcs ${mode} adds under ${VCS_GOAL_MS} ms`, met ? 'met' : 'MISSED', '', '']);
  }
  return markdownTable([`VCS bridge, git repository of ${files.toLocaleString('en')} files`, 'median', 'min', 'max'], rows);
}
