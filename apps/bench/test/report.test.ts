import { describe, expect, it } from 'vitest';
import type { Sample } from '../src/compare.js';
import { formatMegabytes, formatRatio, formatRss, formatSeconds, markdownTable } from '../src/format.js';
import { comparisonTable, computeMedians, verification } from '../src/report.js';
import { median, ratio } from '../src/stats.js';
import type { ToolName } from '../src/tools.js';

describe('median and ratio', () => {
  it('computes real values', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([7])).toBe(7);
    expect(median([])).toBeUndefined();
    expect(ratio(29.8, 10.8)).toBeCloseTo(2.759, 3);
    expect(ratio(1, 0)).toBeUndefined();
    expect(ratio(undefined, 2)).toBeUndefined();
  });

  it('formats seconds, sizes, RSS and ratios', () => {
    expect(formatSeconds(0.844)).toBe('0.84 s');
    expect(formatSeconds(29.84)).toBe('29.8 s');
    expect(formatMegabytes(258_049_000)).toBe('258.0 MB');
    expect(formatRss(292_400_000)).toBe('292 MB');
    expect(formatRatio(29.8 / 10.8)).toBe('2.76');
    expect(formatRatio(undefined)).toBe('–');
    expect(markdownTable(['a', 'bb'], [['1', '22']])).toBe('| a   | bb  |\n| --- | --- |\n| 1   | 22  |');
  });
});

function samples(): Sample[] {
  const out: Sample[] = [];
  // CPU time: user is the wall time, system is `sys[i]`; borg has no system time (as if GNU time had not read it).
  const add = (tool: ToolName, seconds: number[], rss: number, repo: number, sys?: number[]): void => {
    seconds.forEach((s, i) => {
      out.push({ rep: i + 1, tool, phase: 'first', seconds: s, peakRss: rss, repoBytes: repo, userSeconds: s, systemSeconds: sys?.[i] });
      out.push({ rep: i + 1, tool, phase: 'noop', seconds: s / 2, peakRss: rss, repoBytes: repo });
      out.push({ rep: i + 1, tool, phase: 'change', seconds: s / 4, peakRss: rss, repoBytes: repo + 1e6 });
      out.push({ rep: i + 1, tool, phase: 'restore', seconds: s, peakRss: rss, verified: !(tool === 'borg' && i === 0) });
    });
  };
  add('cairn', [3, 1, 2], 300e6, 100e6, [1, 0, 3]);
  add('restic', [1, 1.5, 0.5], 150e6, 110e6, [0.5, 0.5, 0.5]);
  add('borg', [4, 4, 4], 100e6, 100e6);
  return out;
}

describe('comparisonTable', () => {
  it('shows the medians of each tool and the cairn/restic and cairn/borg ratios', () => {
    const tools: ToolName[] = ['cairn', 'restic', 'borg'];
    const medians = computeMedians(samples(), tools);
    expect(medians['first.seconds']).toEqual({ cairn: 2, restic: 1, borg: 4 });
    expect(medians['noop.seconds']).toEqual({ cairn: 1, restic: 0.5, borg: 2 });
    expect(medians['change.repoBytes']).toEqual({ cairn: 101e6, restic: 111e6, borg: 101e6 });
    // The median of user + system per repetition (4, 1, 5), not the sum of the medians (2 + 1).
    expect(medians['first.cpuSeconds']).toEqual({ cairn: 4, restic: 1.5 });
    expect(medians['noop.cpuSeconds']).toEqual({});
    const table = comparisonTable(medians, samples(), tools);
    const row = (label: string): string[] => table.split('\n').find((line) => line.startsWith(`| ${label} `))!.split('|').slice(1, -1).map((c) => c.trim());
    expect(table.split('\n')[0]).toMatch(/^\| phase +\| cairn +\| restic +\| borg +\| cairn\/restic \| cairn\/borg \|$/);
    expect(row('first backup')).toEqual(['first backup', '2.00 s', '1.00 s', '4.00 s', '2.00', '0.50']);
    expect(row('repository size after change')).toEqual(['repository size after change', '101.0 MB', '111.0 MB', '101.0 MB', '0.91', '1.00']);
    expect(row('user+sys CPU, first backup')).toEqual(['user+sys CPU, first backup', '4.00 s', '1.50 s', '–', '2.67', '–']);
    expect(row('user+sys CPU, restore')).toEqual(['user+sys CPU, restore', '–', '–', '–', '–', '–']);
    expect(row('peak RSS, first backup')).toEqual(['peak RSS, first backup', '300 MB', '150 MB', '100 MB', '2.00', '3.00']);
    expect(row('restore verified')).toEqual(['restore verified', 'yes (3/3)', 'yes (3/3)', 'NO (2/3)', '', '']);
    expect(row('encryption')[2]).toBe('encrypted (cannot be disabled)');
  });

  it('has no ratio columns without cairn or without peers, and dashes where a tool has no sample', () => {
    const medians = computeMedians(samples(), ['restic', 'borg']);
    expect(comparisonTable(medians, samples(), ['restic', 'borg']).split('\n')[0]).not.toContain('cairn/');
    const onlyCairn = samples().filter((s) => s.tool === 'cairn' && s.phase !== 'restore');
    const table = comparisonTable(computeMedians(onlyCairn, ['cairn']), onlyCairn, ['cairn']);
    expect(table.split('\n')[0]).toMatch(/^\| phase +\| cairn +\|$/);
    expect(table).toMatch(/\| restore latest +\| – +\|/);
    expect(verification(onlyCairn, 'cairn')).toBe('–');
  });
});
