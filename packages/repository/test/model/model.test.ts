/**
 * The model-based test of issue 10: random sequences of backups (source trees with links and
 * edits, a git working copy in `vcs: 'changes'` mode, a simulated board, a stream, dry runs), forgets, tag
 * rewrites, prunes, quota backups, restores with backup-existing, index repairs, copies out to a second repository and back, and kill -9s, against one repository,
 * with the invariants of invariants.ts checked after every command. Seeded and shrinking; the
 * environment sets its size (settings.ts). A failure prints how to replay it.
 */
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { commandArbs } from './generators.js';
import { KNOWN_SEQUENCES } from './known-sequences.js';
import { newModel } from './model-state.js';
import type { Model } from './model-state.js';
import { COUNTS, SETTINGS } from './settings.js';
import { World } from './world.js';

function summary(started: number): string {
  const by = [...COUNTS.byCommand].sort(([a], [b]) => a.localeCompare(b)).map(([kind, n]) => `${kind} ${n}`).join(', ');
  const skipped = COUNTS.shrinkSkipped > 0 ? `, ${COUNTS.shrinkSkipped} shrink candidates not run (time)` : '';
  const deltas = `delta blobs: up to ${COUNTS.mostDeltas} in a repository, chains up to ${COUNTS.deepestChain} deep; grouped blobs: up to ${COUNTS.mostGrouped} in ${COUNTS.mostGroups} groups; ${COUNTS.packsCopiedWhole} packs copied as they are`;
  return `model test: ${COUNTS.operations} operations in ${COUNTS.runs} runs (${COUNTS.encryptedRuns} encrypted; ${by}; ${deltas}), ${((Date.now() - started) / 1000).toFixed(1)} s, seed ${SETTINGS.seed}${skipped}`;
}

describe('every sequence of operations keeps every snapshot (model-based)', () => {
  const timeout = SETTINGS.long ? SETTINGS.runs * SETTINGS.steps * 60_000 + 600_000 : 300_000;
  it(`the issue's sequences, then ${SETTINGS.runs} random runs of up to ${SETTINGS.steps} commands: every snapshot no forget removed restores exactly, check --read-data is clean`, { timeout }, async () => {
    const started = Date.now();
    console.log(`model test: seed ${SETTINGS.seed}, ${SETTINGS.runs} runs of up to ${SETTINGS.steps} commands${SETTINGS.path === undefined ? '' : `, replaying path ${SETTINGS.path}`}${SETTINGS.skip.length === 0 ? '' : `, leaving out ${SETTINGS.skip.join(', ')}`}`);
    const property = fc.asyncProperty(
      // Whether the run's repository is encrypted: drawn, so a failing run replays (and shrinks) with it.
      fc.boolean(),
      fc.commands(commandArbs(SETTINGS.skip), { maxCommands: SETTINGS.steps, size: 'max', ...(SETTINGS.replayPath === undefined ? {} : { replayPath: SETTINGS.replayPath }) }),
      async (encrypted, commands) => {
        // Shrinking past its time: a candidate not run counts as passing, so the smallest failure so far stands.
        if (COUNTS.firstFailure > 0 && SETTINGS.shrinkMs > 0 && Date.now() - COUNTS.firstFailure > SETTINGS.shrinkMs) {
          COUNTS.shrinkSkipped += 1;
          return;
        }
        COUNTS.runs += 1;
        const world = await World.create(encrypted);
        if (encrypted) COUNTS.encryptedRuns += 1;
        const opsBefore = COUNTS.operations;
        try {
          await fc.asyncModelRun(() => ({ model: newModel(), real: world }), commands);
        } catch (error) {
          COUNTS.firstFailure ||= Date.now();
          throw error;
        } finally {
          await world.dispose();
          if (SETTINGS.long) console.log(`run ${COUNTS.runs}: ${COUNTS.operations - opsBefore} operations; ${summary(started)}`);
        }
      },
    );
    // The issue's sequences first (not when a command they use is left out; every other one encrypted); they count as runs.
    const examples = SETTINGS.skip.length > 0 ? [] : KNOWN_SEQUENCES.map((known, i) => [i % 2 === 1, known.commands] as [boolean, Iterable<fc.AsyncCommand<Model, World>>]);
    try {
      await fc.assert(property, {
        seed: SETTINGS.seed,
        numRuns: SETTINGS.runs + examples.length,
        examples,
        endOnFailure: !SETTINGS.shrink,
        ...(SETTINGS.path === undefined ? {} : { path: SETTINGS.path }),
      });
    } catch (error) {
      const message = (error as Error).message;
      const path = /path: "([^"]*)"/.exec(message)?.[1];
      const replay = /replayPath="([^"]*)"/.exec(message)?.[1];
      console.log(`model test FAILED; replay the shrunk counterexample with:\n  CAIRN_MODEL_SEED=${SETTINGS.seed} CAIRN_MODEL_RUNS=${SETTINGS.runs} CAIRN_MODEL_STEPS=${SETTINGS.steps}${SETTINGS.skip.length === 0 ? '' : ` CAIRN_MODEL_SKIP=${SETTINGS.skip.join(',')}`}${path === undefined ? '' : ` CAIRN_MODEL_PATH=${path}`}${replay === undefined ? '' : ` CAIRN_MODEL_REPLAY=${replay}`} CAIRN_MODEL_NO_SHRINK=1 npx vitest run packages/repository/test/model`);
      throw error;
    } finally {
      console.log(summary(started));
    }
  });
});
