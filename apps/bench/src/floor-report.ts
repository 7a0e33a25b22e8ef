import { FLOOR_ROWS } from './floor.js';
import type { FloorResult, FloorSample } from './floor.js';
import { formatRss, formatSeconds, markdownTable } from './format.js';
import { median } from './stats.js';

/** The medians of one floor row over the repetitions. */
export interface FloorMedian {
  readonly seconds: number | undefined;
  /** User + system CPU seconds, over the samples that have both. */
  readonly cpuSeconds: number | undefined;
  readonly peakRss: number | undefined;
}

/** Medians by row key (rows that did not run are left out). */
export type FloorMedians = Record<string, FloorMedian>;

/** The median wall time, user+sys CPU and peak RSS of every row that ran. */
export function computeFloorMedians(samples: readonly FloorSample[]): FloorMedians {
  const out: FloorMedians = {};
  for (const row of FLOOR_ROWS) {
    const mine = samples.filter((s) => s.row === row.key);
    if (mine.length === 0) continue;
    const defined = (values: (number | undefined)[]): number[] => values.filter((v): v is number => v !== undefined);
    out[row.key] = {
      seconds: median(mine.map((s) => s.seconds)),
      cpuSeconds: median(defined(mine.map((s) => (s.userSeconds === undefined || s.systemSeconds === undefined ? undefined : s.userSeconds + s.systemSeconds)))),
      peakRss: median(defined(mine.map((s) => s.peakRss))),
    };
  }
  return out;
}

/** The table: one row per floor (skipped ones say so), columns wall, user+sys, peak RSS. */
export function floorTable(medians: FloorMedians, skipped: FloorResult['skipped']): string {
  const rows = FLOOR_ROWS.map((row) => {
    const m = medians[row.key];
    if (m === undefined) {
      const reason = skipped.find((s) => s.row === row.key)?.reason ?? 'did not run';
      return [row.label, `skipped: ${reason}`, '', ''];
    }
    return [row.label, formatSeconds(m.seconds), formatSeconds(m.cpuSeconds), formatRss(m.peakRss)];
  });
  return markdownTable(['floor', 'wall', 'user+sys', 'peak RSS'], rows);
}

/** What the rows say beside each other: Node over C, an idle Worker, the CLI's code, llistxattr, the /proc path. */
export interface FloorDerived {
  /** Node walk − C fstatat walk (the same calls). */
  readonly nodeOverC?: { readonly seconds: number; readonly cpuSeconds?: number };
  /** Per entry, Node's start-up (node -e '') taken off the Node walk, and the C walk's. */
  readonly perEntryMicros?: { readonly node: number; readonly c: number };
  /** node + one idle Worker − node -e ''. */
  readonly worker?: { readonly seconds: number; readonly peakRss?: number };
  /** cairn --help − node -e ''. */
  readonly cairnCode?: { readonly seconds: number; readonly peakRss?: number };
  /** C walk with llistxattr − without. */
  readonly xattr?: { readonly seconds: number; readonly cpuSeconds?: number };
  /** C walk through /proc/PID/fd − the same by fstatat and path (cairn's calls over the least ones), without and with llistxattr. */
  readonly throughProc?: { readonly seconds: number; readonly cpuSeconds?: number };
  readonly throughProcXattr?: { readonly seconds: number; readonly cpuSeconds?: number };
  /** The Node restore − tar -c | tar -xp (a restore's data work in Node, with decompression, over C tools without it). */
  readonly nodeRestoreOverTar?: { readonly seconds: number; readonly cpuSeconds?: number };
  /** The Node pipeline − tar | zstd -3 -T0 (Node with cairn's libraries over C tools, for a first backup's data work). */
  readonly pipelineOverTar?: { readonly seconds: number; readonly cpuSeconds?: number };
  /** cairn's no-op − its Node floor (what the walk does beyond reading the parent and comparing). */
  readonly noopOverFloor?: { readonly seconds: number; readonly cpuSeconds?: number };
  /**
   * The no-op floor's and cairn's wall time over restic's (the ratio); `floorWork`: the
   * floor less its own start-up and module loading, plus bare node's start-up (node -e ''), over
   * restic's: the least any Node program doing that work pays.
   */
  readonly noopRatios?: { readonly floor?: number; readonly floorWork?: number; readonly cairn?: number };
}

/** Differences between rows, where both ran. */
export function deriveFloor(medians: FloorMedians, entries: number | undefined, noopLoadedSeconds?: number): FloorDerived {
  const diff = (a: number | undefined, b: number | undefined): number | undefined => (a === undefined || b === undefined ? undefined : a - b);
  const pair = (a: string, b: string, field: 'cpuSeconds' | 'peakRss'): { seconds: number; cpuSeconds?: number; peakRss?: number } | undefined => {
    const x = medians[a];
    const y = medians[b];
    if (x === undefined || y === undefined) return undefined;
    const seconds = diff(x.seconds, y.seconds)!;
    const other = diff(x[field], y[field]);
    return { seconds, ...(other === undefined ? {} : { [field]: other }) };
  };
  const out: { -readonly [K in keyof FloorDerived]: FloorDerived[K] } = {};
  // Each difference: the derived figure, the row and the row it is measured over, the second figure compared.
  const pairs: readonly (readonly [Exclude<keyof FloorDerived, 'perEntryMicros' | 'noopRatios'>, string, string, 'cpuSeconds' | 'peakRss'])[] = [
    ['nodeOverC', 'node-walk', 'c-walk', 'cpuSeconds'],
    ['worker', 'node-worker', 'node', 'peakRss'],
    ['cairnCode', 'cairn-help', 'node', 'peakRss'],
    ['xattr', 'c-walk-xattr', 'c-walk', 'cpuSeconds'],
    ['throughProc', 'c-walk-proc', 'c-walk', 'cpuSeconds'],
    ['throughProcXattr', 'c-walk-proc-xattr', 'c-walk-xattr', 'cpuSeconds'],
    ['pipelineOverTar', 'node-pipeline', 'tar-zstd', 'cpuSeconds'],
    ['nodeRestoreOverTar', 'node-restore', 'tar', 'cpuSeconds'],
    ['noopOverFloor', 'cairn-noop', 'node-noop', 'cpuSeconds'],
  ];
  for (const [key, row, over, field] of pairs) {
    const difference = pair(row, over, field);
    if (difference !== undefined) out[key] = difference;
  }
  const resticNoop = medians['restic-noop']?.seconds;
  if (resticNoop !== undefined && resticNoop > 0) {
    const ratio = (key: string): number | undefined => (medians[key]?.seconds === undefined ? undefined : medians[key]!.seconds! / resticNoop);
    const floor = ratio('node-noop');
    const cairn = ratio('cairn-noop');
    const bare = medians['node']?.seconds;
    const floorSeconds = medians['node-noop']?.seconds;
    const floorWork = floorSeconds === undefined || bare === undefined || noopLoadedSeconds === undefined ? undefined : (floorSeconds - noopLoadedSeconds + bare) / resticNoop;
    if (floor !== undefined || cairn !== undefined) out.noopRatios = { ...(floor === undefined ? {} : { floor }), ...(floorWork === undefined ? {} : { floorWork }), ...(cairn === undefined ? {} : { cairn }) };
  }
  const nodeWalk = medians['node-walk']?.seconds;
  const start = medians['node']?.seconds;
  const cWalk = medians['c-walk']?.seconds;
  if (entries !== undefined && entries > 0 && nodeWalk !== undefined && start !== undefined && cWalk !== undefined) {
    out.perEntryMicros = { node: (Math.max(0, nodeWalk - start) / entries) * 1e6, c: (cWalk / entries) * 1e6 };
  }
  return out;
}

/** The derived figures as lines under the table. */
export function derivedLines(derived: FloorDerived): string[] {
  const s = (value: number | undefined): string => (value === undefined ? '–' : `${value >= 0 ? '+' : '−'}${formatSeconds(Math.abs(value))}`);
  const mb = (value: number | undefined): string => (value === undefined ? '–' : `${value >= 0 ? '+' : '−'}${formatRss(Math.abs(value))}`);
  const lines: string[] = [];
  if (derived.nodeOverC !== undefined) lines.push(`Node walk over the C walk (the same readdir and lstat calls): ${s(derived.nodeOverC.seconds)} wall, ${s(derived.nodeOverC.cpuSeconds)} user+sys`);
  if (derived.perEntryMicros !== undefined) {
    lines.push(`per entry, wall: Node ${derived.perEntryMicros.node.toFixed(2)} µs (its walk less the start-up of node -e ''), C ${derived.perEntryMicros.c.toFixed(2)} µs`);
  }
  if (derived.xattr !== undefined) lines.push(`llistxattr on every entry (C walk with it, over without): ${s(derived.xattr.seconds)} wall, ${s(derived.xattr.cpuSeconds)} user+sys`);
  if (derived.throughProc !== undefined) lines.push(`lstat through the open folder's /proc/PID/fd entry, over fstatat (cairn's walk over the least one): ${s(derived.throughProc.seconds)} wall, ${s(derived.throughProc.cpuSeconds)} user+sys`);
  if (derived.throughProcXattr !== undefined) lines.push(`the same with llistxattr on every entry: ${s(derived.throughProcXattr.seconds)} wall, ${s(derived.throughProcXattr.cpuSeconds)} user+sys`);
  if (derived.noopOverFloor !== undefined) lines.push(`cairn's no-op over its Node floor (what its walk does beyond reading the parent's trees and comparing): ${s(derived.noopOverFloor.seconds)} wall, ${s(derived.noopOverFloor.cpuSeconds)} user+sys`);
  if (derived.noopRatios !== undefined) {
    const x = (value: number | undefined): string => (value === undefined ? '–' : `${value.toFixed(2)}×`);
    lines.push(`no-op wall time over restic's: the Node floor ${x(derived.noopRatios.floor)} (its work alone, with bare node's start-up instead of its own loading: ${x(derived.noopRatios.floorWork)}), cairn ${x(derived.noopRatios.cairn)}`);
  }
  if (derived.nodeRestoreOverTar !== undefined) lines.push(`the Node restore over tar -c | tar -xp (a restore's data work in Node, with zstd decompression, over C tools without it): ${s(derived.nodeRestoreOverTar.seconds)} wall, ${s(derived.nodeRestoreOverTar.cpuSeconds)} user+sys`);
  if (derived.pipelineOverTar !== undefined) lines.push(`the Node pipeline over tar | zstd -3 -T0 (a first backup's data work in Node, with SHA-256 and the chunker, over C tools without them): ${s(derived.pipelineOverTar.seconds)} wall, ${s(derived.pipelineOverTar.cpuSeconds)} user+sys`);
  if (derived.worker !== undefined) lines.push(`one idle worker_threads Worker: ${mb(derived.worker.peakRss)} peak RSS, ${s(derived.worker.seconds)} wall over node -e ''`);
  if (derived.cairnCode !== undefined) lines.push(`the cairn CLI's code (--help over node -e ''): ${mb(derived.cairnCode.peakRss)} peak RSS, ${s(derived.cairnCode.seconds)} wall`);
  return lines;
}
