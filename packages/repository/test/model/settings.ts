/**
 * How big a model run is, from the environment, and what it has done so far.
 *   CAIRN_MODEL_RUNS    number of random runs (default 6; the sequences run first)
 *   CAIRN_MODEL_STEPS   most commands per random run (default 15)
 *   CAIRN_MODEL_SEED    the seed (default: random; printed, so a run can be replayed)
 *   CAIRN_MODEL_PATH, CAIRN_MODEL_REPLAY   fast-check's counterexample path and commands replayPath,
 *                       to replay exactly the shrunk counterexample a failure printed
 *   CAIRN_MODEL_SHRINK_S  seconds of shrinking after the first failure (default 120; 0: no limit); then
 *                       every further candidate counts as passing, so the smallest failure found so far is reported
 *   CAIRN_MODEL_NO_SHRINK=1  report the first failure without shrinking
 *   CAIRN_MODEL_SKIP    command kinds left out, comma-separated (to look past a known failure; never in CI)
 */

function intFromEnv(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isSafeInteger(value)) throw new RangeError(`${name} must be a whole number, not ${JSON.stringify(text)}`);
  return value;
}

const runs = intFromEnv('CAIRN_MODEL_RUNS', 6);
const long = process.env['CAIRN_MODEL_RUNS'] !== undefined || process.env['CAIRN_MODEL_STEPS'] !== undefined;

/** The settings of this model run. */
export const SETTINGS = {
  runs,
  steps: intFromEnv('CAIRN_MODEL_STEPS', 15),
  seed: intFromEnv('CAIRN_MODEL_SEED', (Math.random() * 2 ** 31) | 0),
  path: process.env['CAIRN_MODEL_PATH'] || undefined,
  replayPath: process.env['CAIRN_MODEL_REPLAY'] || undefined,
  shrinkMs: intFromEnv('CAIRN_MODEL_SHRINK_S', 120) * 1000,
  shrink: process.env['CAIRN_MODEL_NO_SHRINK'] !== '1',
  skip: (process.env['CAIRN_MODEL_SKIP'] ?? '').split(',').map((kind) => kind.trim()).filter((kind) => kind !== ''),
  long,
} as const;

/** Counts of what the model test did (printed at its end). */
export const COUNTS = { runs: 0, operations: 0, byCommand: new Map<string, number>(), firstFailure: 0, shrinkSkipped: 0, encryptedRuns: 0, deltaChecks: 0, mostDeltas: 0, deepestChain: 0, mostGrouped: 0, mostGroups: 0, packsCopiedWhole: 0 };

/** Counts one command about to run; returns its label ("#3 backup alpha …"). */
export function begin(model: { step: number }, kind: string, text: string): string {
  model.step += 1;
  COUNTS.operations += 1;
  COUNTS.byCommand.set(kind, (COUNTS.byCommand.get(kind) ?? 0) + 1);
  return `#${model.step} ${text}`;
}
