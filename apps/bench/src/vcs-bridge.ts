import { readWorkingCopy, saveExtras, workingCopyAt } from '@cairn/vcs';
import type { VcsStatus, WorkingCopy } from '@cairn/vcs';

/** A working copy as @cairn/vcs finds it. */
export type BridgeWorkingCopy = WorkingCopy;

/** What readWorkingCopy returns. */
export type BridgeStatus = VcsStatus;

/** The part of @cairn/vcs the bench times: detection, reading the state, saving the extras. */
export interface VcsBridge {
  workingCopyAt(dir: string): Promise<BridgeWorkingCopy | null>;
  readWorkingCopy(copy: BridgeWorkingCopy): Promise<BridgeStatus>;
  saveExtras(status: BridgeStatus, outDir: string): Promise<{ readonly files: readonly string[]; readonly bundled: readonly string[] }>;
}

/** The VCS bridge of this workspace (a function, so tests may hand in another). */
export function loadVcsBridge(): VcsBridge {
  return { workingCopyAt, readWorkingCopy: (copy) => readWorkingCopy(copy), saveExtras: (status, outDir) => saveExtras(status, outDir) };
}
