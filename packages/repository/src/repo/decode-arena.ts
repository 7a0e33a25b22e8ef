/** A piece of a DecodeArena handed out for one read's plaintexts. */
export interface ArenaRegion {
  readonly start: number;
  readonly end: number;
  freed: boolean;
}

/**
 * One shared buffer the decode threads write the plaintexts of a restore's (or a dump's) reads into, handed
 * out as a ring: a read's region is taken after the newest one (or from the start once the end
 * is reached) and freed once its writes are done. Nothing is allocated per read, so no buffer
 * waits for a garbage collection (at 4 MiB a read, those had added up to 60 MB). A region is
 * reused only after it is freed; freed regions behind a live older one wait for it.
 */
export class DecodeArena {
  readonly buffer: SharedArrayBuffer;
  /** Live regions (and freed ones behind a live one), oldest first. */
  private readonly regions: ArenaRegion[] = [];

  constructor(bytes: number) {
    this.buffer = new SharedArrayBuffer(bytes);
  }

  /** A region of `bytes` (more than 0), or undefined when there is no room now. */
  take(bytes: number): ArenaRegion | undefined {
    const size = this.buffer.byteLength;
    const first = this.regions[0];
    const last = this.regions[this.regions.length - 1];
    let start: number;
    if (first === undefined || last === undefined) start = 0;
    else if (last.start >= first.start) {
      // Not wrapped: after the newest, or from the start up to the oldest.
      if (last.end + bytes <= size) start = last.end;
      else if (bytes <= first.start) start = 0;
      else return undefined;
    } else if (last.end + bytes <= first.start) start = last.end;
    else return undefined;
    if (start + bytes > size) return undefined;
    const region = { start, end: start + bytes, freed: false };
    this.regions.push(region);
    return region;
  }

  /** Frees `region`: its bytes may be handed out again once the regions before it are freed too. */
  free(region: ArenaRegion): void {
    region.freed = true;
    while (this.regions[0]?.freed === true) this.regions.shift();
  }
}
