import cliProgress from 'cli-progress';

/** A one-line status on stderr, shown only when stderr is a terminal. */
export interface StatusLine {
  update(payload: Record<string, string>): void;
  stop(): void;
}

/** Starts a status line with a cli-progress format such as '{files} files {path}'. */
export function startStatus(format: string, enabled: boolean): StatusLine {
  if (!enabled || process.stderr.isTTY !== true) return { update: () => undefined, stop: () => undefined };
  const bar = new cliProgress.SingleBar({ format, stream: process.stderr, fps: 8, hideCursor: true, clearOnComplete: true, linewrap: false });
  bar.start(1, 0);
  return {
    update: (payload) => bar.update(0, payload),
    stop: () => bar.stop(),
  };
}

/** Shortens a path from the left to fit a status line. */
export function shorten(path: string, width = 50): string {
  return path.length <= width ? path : `…${path.slice(path.length - width + 1)}`;
}
