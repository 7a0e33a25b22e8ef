import type { Clock } from './clock.js';

/** A clock that moves only when told to, for tests: `advance` fires the timers that fall due, in order. */
export interface FakeClock extends Clock {
  /** Moves the time forward by `ms`, firing each due timer at its time and letting the promises it starts settle. */
  advance(ms: number): Promise<void>;
  /** Jumps the time forward without firing anything first (a machine waking from sleep); timers past due fire on the next advance. */
  jump(ms: number): void;
  /** How many timers are waiting. */
  pending(): number;
}

/** A fake clock starting at `start` (ms since the epoch). */
export function createFakeClock(start: number): FakeClock {
  let time = start;
  let seq = 0;
  const timers = new Map<number, { at: number; fn: () => void }>();
  const settle = async (): Promise<void> => {
    for (let i = 0; i < 20; i += 1) await new Promise<void>((resolve) => setImmediate(resolve));
  };
  return {
    now: () => time,
    setTimer(ms, fn) {
      const id = (seq += 1);
      timers.set(id, { at: time + Math.max(0, ms), fn });
      return () => timers.delete(id);
    },
    async advance(ms) {
      const end = time + ms;
      await settle();
      for (;;) {
        let next: [number, { at: number; fn: () => void }] | undefined;
        for (const entry of timers) if (entry[1].at <= end && (next === undefined || entry[1].at < next[1].at)) next = entry;
        if (next === undefined) break;
        timers.delete(next[0]);
        time = Math.max(time, next[1].at);
        next[1].fn();
        await settle();
      }
      time = end;
      await settle();
    },
    jump(ms) {
      time += ms;
    },
    pending: () => timers.size,
  };
}
