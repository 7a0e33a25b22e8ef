import { lazyModule } from '@cairn/core';
import { formatBytes } from './format.js';
import { emit, jsonOutput, setTerminalLog } from './output.js';

/** cli-progress, loaded when a bar is first drawn (only on a terminal). */
const progressBars = lazyModule<typeof import('cli-progress')>(import.meta.url, 'cli-progress');

/**
 * What long work has done so far. Files and bytes for work on files (backup, restore, device
 * transfers); `phase` and `done`/`total` for work counted in other units (packs, snapshots). A
 * total is null while unknown.
 */
export interface ProgressState {
  phase?: string;
  done?: number;
  total?: number | null;
  filesDone?: number;
  filesTotal?: number | null;
  bytesDone?: number;
  bytesTotal?: number | null;
  path?: string;
}

/** The start of work on files whose totals are not known yet. */
export const FILES_AND_BYTES: Readonly<ProgressState> = Object.freeze({ filesDone: 0, filesTotal: null, bytesDone: 0, bytesTotal: null, path: '' });

/** Reports the progress of one command's long work on a terminal and as `status` lines. */
export interface Progress {
  /** False when nothing is shown (no terminal, no --json, or --quiet): the engine need not count. */
  readonly active: boolean;
  /** Records new counts (cheap: nothing is printed here; the bar and the status lines have their own pace). */
  set(update: Readonly<ProgressState>): void;
  /** Ends the bar (it is cleared) or, with --json, writes the last status line. */
  stop(): void;
}

/** How a command's progress is told. */
export interface ProgressOptions {
  /** The command, as `status` lines name it ("backup", "device restore"). */
  readonly command: string;
  /** False with --quiet: nothing is shown. */
  readonly enabled: boolean;
  /** Why the total is unknown, said on the terminal while it is ("no parent snapshot"). */
  readonly unknownTotal?: string;
  /** The counts before anything is done (they name the fields every status line has). */
  readonly initial?: Readonly<ProgressState>;
}

/**
 * Starts reporting progress: with --json a `status` line on stdout at a steady pace (and a last one
 * at stop); else, when stderr is a terminal, a cli-progress line redrawn on stderr; else nothing.
 * CAIRN_PROGRESS_FPS sets the pace (default: 2 status lines a second, at most 4; 10 frames, at most 30).
 */
export function startProgress(options: ProgressOptions): Progress {
  if (!options.enabled) return INACTIVE;
  const state: ProgressState = { ...options.initial };
  const clock = new ProgressClock();
  const set = (update: Readonly<ProgressState>): void => {
    if (update.phase !== undefined && update.phase !== state.phase) clock.restart();
    Object.assign(state, update);
  };
  if (jsonOutput()) {
    const line = (): void => emit('status', statusFields(options.command, state, clock));
    line();
    const timer = setInterval(line, 1000 / progressFps(2, 4));
    timer.unref();
    return { active: true, set, stop: () => { clearInterval(timer); line(); } };
  }
  if (process.stderr.isTTY !== true) return INACTIVE;
  // A MultiBar of one: its log() puts warnings above the line instead of through it.
  const cliProgress = progressBars();
  const bars = new cliProgress.MultiBar({
    format: (barOptions) => terminalLine(options, state, clock, (fraction) => cliProgress.Format.BarFormat(fraction, barOptions)),
    stream: process.stderr,
    fps: progressFps(10, 30),
    barsize: 20,
    hideCursor: true,
    clearOnComplete: true,
    linewrap: false,
  });
  bars.create(1, 0);
  setTerminalLog((text) => bars.log(text));
  return {
    active: true,
    set,
    stop: () => {
      setTerminalLog(undefined);
      bars.update(); // the last frame, and any warning still waiting
      bars.stop();
    },
  };
}

const INACTIVE: Progress = { active: false, set: () => undefined, stop: () => undefined };

/** Frames (or status lines) a second: CAIRN_PROGRESS_FPS when it is a positive number, capped at `max`. */
function progressFps(fallback: number, max: number): number {
  const given = Number(process.env['CAIRN_PROGRESS_FPS']);
  return Number.isFinite(given) && given > 0 ? Math.min(given, max) : fallback;
}

/** Time since the work (or its current phase) started. */
class ProgressClock {
  private started = Date.now();

  restart(): void {
    this.started = Date.now();
  }

  /** Seconds since the start. */
  seconds(): number {
    return (Date.now() - this.started) / 1000;
  }
}

/** The share done (0..1) by bytes, else files, else `done`; null without a known total. */
function fraction(state: ProgressState): number | null {
  const pairs: [number | undefined, number | null | undefined][] = [[state.bytesDone, state.bytesTotal], [state.filesDone, state.filesTotal], [state.done, state.total]];
  for (const [done, total] of pairs) {
    if (done !== undefined && total !== undefined && total !== null && total > 0) return Math.min(1, done / total);
  }
  return null;
}

/** Seconds left at the pace so far; null until there is a pace to go by (a second in, something done). */
function secondsLeft(share: number | null, seconds: number): number | null {
  if (share !== null && share >= 1) return 0;
  if (share === null || share <= 0 || seconds < 1) return null;
  return Math.round((seconds * (1 - share)) / share);
}

/** The fields of a `status` line (docs/JSON.md). */
function statusFields(command: string, state: ProgressState, clock: ProgressClock): Record<string, unknown> {
  const seconds = clock.seconds();
  const share = fraction(state);
  return {
    command,
    ...(state.phase === undefined ? {} : { phase: state.phase }),
    ...(state.done === undefined ? {} : { done: state.done, total: state.total ?? null }),
    ...(state.filesDone === undefined ? {} : { filesDone: state.filesDone, filesTotal: state.filesTotal ?? null }),
    ...(state.bytesDone === undefined ? {} : { bytesDone: state.bytesDone, bytesTotal: state.bytesTotal ?? null, bytesPerSecond: seconds > 0 ? Math.round(state.bytesDone / seconds) : 0 }),
    percent: share === null ? null : Math.round(share * 1000) / 10,
    secondsElapsed: Math.round(seconds * 10) / 10,
    secondsRemaining: secondsLeft(share, seconds),
    ...(state.path === undefined ? {} : { path: state.path }),
  };
}

/** The terminal line: bar, percent, counts, rate, time left and the path (or why the total is unknown). */
function terminalLine(options: ProgressOptions, state: ProgressState, clock: ProgressClock, bar: (fraction: number) => string): string {
  const seconds = clock.seconds();
  const share = fraction(state);
  const parts: string[] = [];
  if (state.phase !== undefined) parts.push(`${options.command}: ${state.phase}`);
  if (share !== null) parts.push(`${bar(share)} ${(share * 100).toFixed(0).padStart(3)}%`);
  if (state.done !== undefined) parts.push(`${state.done}${state.total == null ? '' : `/${state.total}`}`);
  if (state.filesDone !== undefined) parts.push(`${state.filesDone}${state.filesTotal == null ? '' : `/${state.filesTotal}`} files`);
  if (state.bytesDone !== undefined) {
    parts.push(`${formatBytes(state.bytesDone)}${state.bytesTotal == null ? '' : `/${formatBytes(state.bytesTotal)}`}`);
    parts.push(`${formatBytes(seconds > 0 ? Math.round(state.bytesDone / seconds) : 0)}/s`);
  }
  if (share === null) parts.push(`total unknown${options.unknownTotal === undefined ? '' : ` (${options.unknownTotal})`}`);
  else {
    const left = secondsLeft(share, seconds);
    parts.push(`ETA ${left === null ? '--:--' : formatDuration(left)}`);
  }
  if (state.path !== undefined && state.path !== '') parts.push(shorten(state.path, 40));
  return parts.join(' | ');
}

/** m:ss (or h:mm:ss) of a number of seconds. */
export function formatDuration(seconds: number): string {
  const total = Math.round(seconds);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

/** Shortens a path from the left to fit a status line. */
export function shorten(path: string, width = 50): string {
  return path.length <= width ? path : `…${path.slice(path.length - width + 1)}`;
}
