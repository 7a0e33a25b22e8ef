import { toHex } from '@cairn/core';
import type { Id } from '@cairn/core';
import type { BlobIndex } from '@cairn/index';
import type { Repository } from '../repo/repository.js';

/**
 * The bases of a restore's delta blobs, each read and decoded once for all the deltas that
 * need it. The plan counts the deltas that will be decoded against each base (`expect`, chains
 * included: a base that is itself a delta counts its own base once); `take` reads a base the
 * first time, hands the same plaintext to every later delta, and lets it go after the last one
 * it expected. A base asked for again after that (a blob decoded twice) is read again: slower,
 * never wrong.
 */
export class DeltaBaseCache {
  /** Bases read and decoded (each chain link once while it is needed): what the chain bound limits. */
  decoded = 0;
  private readonly uses = new Map<string, number>();
  private readonly counted = new Set<string>();
  private readonly held = new Map<string, Promise<Uint8Array>>();
  private repo: Pick<Repository, 'loadBlob'> | undefined;

  constructor(private readonly index: Pick<BlobIndex, 'lookup'>) {}

  /** At plan time: a delta whose base is `base` will be decoded once more. */
  expect(base: Id): void {
    const hex = toHex(base);
    this.uses.set(hex, (this.uses.get(hex) ?? 0) + 1);
    if (this.counted.has(hex)) return;
    this.counted.add(hex);
    const below = this.index.lookup(base)?.base;
    if (below !== undefined) this.expect(below); // decoding this base takes its own base once
  }

  /** Where the bases are read from (the restore's repository); set before the first take. */
  readFrom(repo: Pick<Repository, 'loadBlob'>): void {
    this.repo ??= repo;
  }

  /** The plaintext of `base` for one of its deltas, checked against its id (loadBlob's errors, naming it, otherwise). */
  take(base: Id): Promise<Uint8Array> {
    const hex = toHex(base);
    let plain = this.held.get(hex);
    if (plain === undefined) {
      const repo = this.repo;
      if (repo === undefined) throw new TypeError('DeltaBaseCache.take before readFrom');
      this.decoded += 1;
      plain = repo.loadBlob(base, 'data', { base: (next) => this.take(next) });
      plain.catch(() => undefined); // each taker sees the error; none is left unhandled
      this.held.set(hex, plain);
    }
    const left = (this.uses.get(hex) ?? 0) - 1;
    if (left > 0) this.uses.set(hex, left);
    else {
      this.uses.delete(hex);
      this.held.delete(hex);
    }
    return plain;
  }
}
