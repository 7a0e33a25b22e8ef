import type { NeededBlobs } from './needed-blobs.js';
import { readStep } from './pack-reader.js';
import type { PackReading, StepData } from './pack-reader.js';
import type { ReadStep, ReadSteps } from './read-steps.js';
import type { StepDecoder } from './step-decoder.js';

type Settled = { readonly data: StepData } | { readonly error: unknown };

/**
 * Reads the steps of a schedule ahead of the writes that use them, while the memory of the
 * steps read and not yet released stays within `budget` bytes (one step is always allowed,
 * however large), and at most `maxReads` of them are held. With a decoder, a step's memory is
 * its plaintext (ReadStep.plainBytes: it lies in the decoder's arena, and the bytes read in one
 * of the decoder's reused buffers, one per step held); without one, the bytes read and the
 * plaintexts decoded (ReadStep.memoryBytes). Steps are asked of the schedule only as they are
 * read, so only those held here exist.
 */
export class StepPrefetch {
  private inFlight = 0;
  private held = 0;
  private readonly reads: { readonly step: ReadStep; readonly read: Promise<Settled> }[] = [];
  /** The next step, asked for and not read yet (null: not asked yet). */
  private upcoming: ReadStep | null = null;
  private ended = false;
  private failure: { readonly error: unknown } | undefined;
  private wake: (() => void) | undefined;

  constructor(
    private readonly repo: PackReading,
    private readonly steps: ReadSteps,
    private readonly blobs: NeededBlobs,
    private readonly budget: number,
    private readonly decoder?: StepDecoder,
    private readonly maxReads = Number.POSITIVE_INFINITY,
  ) {}

  /** What `step` counts against the budget. */
  private cost(step: ReadStep): number {
    return this.decoder === undefined ? step.memoryBytes : step.plainBytes;
  }

  /** The next step and its data (in schedule order), undefined after the last; waits until there is room to read it. Throws what the read threw. */
  async take(): Promise<{ readonly step: ReadStep; readonly data: StepData } | undefined> {
    for (;;) {
      this.fill();
      if (this.reads.length > 0) break;
      if (this.failure !== undefined) throw this.failure.error;
      if (this.ended) return undefined;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    }
    const { step, read } = this.reads.shift()!;
    const settled = await read;
    if ('error' in settled) throw settled.error;
    return { step, data: settled.data };
  }

  /** Frees the budget of `step` (and its room in the decoder's arena) once its writes are done: its data is not used after. */
  release(step: ReadStep): void {
    this.decoder?.release(step);
    this.inFlight -= this.cost(step);
    this.held -= 1;
    this.fill();
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  private fill(): void {
    while (!this.ended) {
      if (this.upcoming === null) {
        let step: ReadStep | undefined;
        try {
          step = this.steps.next();
        } catch (error) {
          this.failure = { error };
          step = undefined;
        }
        if (step === undefined) {
          this.ended = true;
          return;
        }
        this.upcoming = step;
      }
      const step = this.upcoming;
      if (this.held > 0 && (this.inFlight + this.cost(step) > this.budget || this.held >= this.maxReads)) return;
      this.upcoming = null;
      this.inFlight += this.cost(step);
      this.held += 1;
      // Settled, never rejected: a read that fails after the restore ended is not an unhandled rejection.
      this.reads.push({ step, read: readStep(this.repo, this.blobs, step, this.decoder).then((data) => ({ data }), (error: unknown) => ({ error })) });
    }
  }
}
