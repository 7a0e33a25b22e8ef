import { mkdir } from 'node:fs/promises';
import { runTool } from './run-tool.js';
import type { RunSettings } from './run-tool.js';
import type { ToolDriver, ToolName } from './tools.js';

/** A step that failed; the tool sits out the rest of that repetition. */
export interface Failure {
  readonly rep: number;
  readonly tool: ToolName;
  readonly step: string;
  readonly message: string;
}

/** Runs the steps of one repetition's tools, and leaves a tool out after its first failure. */
export interface StepGuard {
  /** Creates the driver's folders and repository; a failure leaves the tool out. */
  start(driver: ToolDriver): Promise<void>;
  /** Runs `body` when `driver` has not failed yet; records its failure otherwise. */
  attempt(driver: ToolDriver, step: string, body: () => Promise<void>): Promise<void>;
}

/** A StepGuard for repetition `rep` that appends failures to `failures` and logs them. */
export function createStepGuard(rep: number, failures: Failure[], settings: RunSettings, log: (line: string) => void): StepGuard {
  const alive = new Set<ToolDriver>();
  const attempt = async (driver: ToolDriver, step: string, body: () => Promise<void>): Promise<void> => {
    if (!alive.has(driver)) return;
    try {
      await body();
    } catch (error) {
      alive.delete(driver);
      const message = error instanceof Error ? error.message : String(error);
      failures.push({ rep, tool: driver.name, step, message });
      log(`rep ${rep}: ${driver.name} ${step} FAILED: ${message}`);
    }
  };
  return {
    async start(driver) {
      alive.add(driver);
      await attempt(driver, 'init', async () => {
        for (const folder of driver.folders) await mkdir(folder, { recursive: true });
        await runTool(driver, 'init', driver.init(), { ...settings, dropCaches: false });
      });
    },
    attempt,
  };
}
