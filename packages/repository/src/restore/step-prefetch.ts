import { readStep } from './pack-reader.js';
import type { PackReading, StepData } from './pack-reader.js';
import type { ReadSchedule } from './read-steps.js';
import type { StepDecoder } from './step-decoder.js';

type Settled = { readonly data: StepData } | { readonly error: unknown };

/**
 * Reads the steps of a schedule ahead of the writes that use them, while the memory of the
 * steps read and not yet released (ReadStep.memoryBytes) stays within `budget` bytes (one
 * step is always allowed, however large).
 */
export class StepPrefetch {
  private next = 0;
  private inFlight = 0;
  private readonly reads = new Map<number, Promise<Settled>>();
  private wake: (() => void) | undefined;

  constructor(
    private readonly repo: PackReading,
    private readonly schedule: ReadSchedule,
    private readonly budget: number,
    private readonly decoder?: StepDecoder,
  ) {}

  /** The data of step `i` (taken in order); waits until there is room to read it. Throws what the read threw. */
  async take(i: number): Promise<StepData> {
    for (;;) {
      this.fill();
      if (this.next > i) break;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    }
    const settled = await this.reads.get(i)!;
    this.reads.delete(i);
    if ('error' in settled) throw settled.error;
    return settled.data;
  }

  /** Frees the budget of step `i` once its writes are done. */
  release(i: number): void {
    this.inFlight -= this.schedule.steps[i]!.memoryBytes;
    this.fill();
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  private fill(): void {
    const { steps } = this.schedule;
    while (this.next < steps.length) {
      const step = steps[this.next]!;
      if (this.inFlight > 0 && this.inFlight + step.memoryBytes > this.budget) return;
      this.inFlight += step.memoryBytes;
      // Settled, never rejected: a read that fails after the restore ended is not an unhandled rejection.
      this.reads.set(this.next, readStep(this.repo, this.schedule.blobs, step, this.decoder).then((data) => ({ data }), (error: unknown) => ({ error })));
      this.next += 1;
    }
  }
}
