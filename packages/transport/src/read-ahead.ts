/**
 * Decides, folder by folder, whether a walk asks for a folder's files to be read ahead. Reading
 * ahead helps a disk whose pages are not in memory (a first backup of a cold tree: the kernel
 * then reads many files at once instead of one after the other as the walk opens them) and only
 * costs where they are (a tree read just before, tmpfs): the calls per file, in a thread of the
 * pool, on cores the backup is using. So the files are looked at as they are read ahead: while
 * the folders have files not in memory, every folder is read ahead; after `calmAfter` folders
 * with none, only one folder in `probeEvery`, to notice when the walk reaches a cold part. At
 * most `maxInFlight` folders are being read ahead at a time (each holds a descriptor of its own).
 */
export interface ReadAheadGate {
  /** Whether to read the next folder's files ahead (each call is the next folder); when true, found() must follow. */
  wanted(): boolean;
  /** What reading a folder ahead found, when it is through: how many of its files were not in memory. */
  found(uncached: number): void;
}

export function createReadAheadGate(probeEvery = 16, calmAfter = 2, maxInFlight = 8): ReadAheadGate {
  let asked = 0;
  let cold = false;
  let calm = 0;
  let inFlight = 0;
  return {
    wanted() {
      asked += 1;
      if ((!cold && asked % probeEvery !== 1) || inFlight >= maxInFlight) return false;
      inFlight += 1;
      return true;
    },
    found(uncached) {
      inFlight -= 1;
      if (uncached > 0) {
        cold = true;
        calm = 0;
      } else if (cold) {
        calm += 1;
        if (calm >= calmAfter) cold = false;
      }
    },
  };
}
