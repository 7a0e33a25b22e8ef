/** Where the scheduler and the activity trigger read the time and set their timers: the system's, or a fake one in tests. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Calls `fn` once after `ms` milliseconds; returns a function that cancels it. */
  setTimer(ms: number, fn: () => void): () => void;
}

/** The system clock: Date.now and setTimeout (timers do not keep the process alive on their own when `unref` is set). */
export function systemClock(options: { readonly unref?: boolean } = {}): Clock {
  return {
    now: () => Date.now(),
    setTimer(ms, fn) {
      const timer = setTimeout(fn, Math.max(0, ms));
      if (options.unref === true) timer.unref();
      return () => clearTimeout(timer);
    },
  };
}
