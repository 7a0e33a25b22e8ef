/**
 * tag: add, remove or set tags on snapshots picked by index or by a --tag filter. The model works
 * out each snapshot's new tags on its own: a snapshot whose tag set changes is rewritten (the
 * engine reports old id -> new id; the model moves the snapshot, with what a restore of it must
 * give, to the new id), one whose tags stay is left with its id. A change that would add or
 * remove the pre-restore tag is refused, and nothing changes.
 */
import { isCairnError } from '@cairn/core';
import { PRE_RESTORE_TAG, PROTECT_TAG } from '@cairn/repository';
import { tagSnapshots } from '@cairn/repository/maintenance';
import type fc from 'fast-check';
import { checkInvariants } from '../invariants.js';
import { addSnapshot, describeSnapshot } from '../model-state.js';
import type { Model, ModelSnapshot } from '../model-state.js';
import { begin } from '../settings.js';
import type { World } from '../world.js';

/** The change: set the tags, or add then remove some. */
export type TagChange = { readonly set: readonly string[] } | { readonly add: readonly string[]; readonly remove: readonly string[] };

/** Which snapshots a tag command changes, and how. */
export interface TagParams {
  /** Snapshots at these indexes (modulo the model's count), or every snapshot with this tag (a --tag filter). */
  readonly select: { readonly picks: readonly number[] } | { readonly withTag: string };
  readonly change: TagChange;
}

/** The tags after the change, by the model's own rules (restic's: set replaces, add appends what is missing, remove drops). */
function newTags(tags: readonly string[], change: TagChange): string[] {
  if ('set' in change) return [...new Set(change.set)];
  return [...new Set([...tags, ...change.add])].filter((tag) => !change.remove.includes(tag));
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === new Set(b).size && a.every((tag) => b.includes(tag));
}

/** A tag rewrite. */
export class TagCommand implements fc.AsyncCommand<Model, World> {
  constructor(readonly p: TagParams) {}

  check(model: Readonly<Model>): boolean {
    return model.snapshots.size > 0;
  }

  async run(model: Model, world: World): Promise<void> {
    const label = begin(model, 'tag', this.toString());
    const all = [...model.snapshots.values()];
    const select = this.p.select;
    const chosen: ModelSnapshot[] = 'picks' in select
      ? [...new Map(select.picks.map((i) => all[i % all.length]!).map((s) => [s.id, s])).values()]
      : all.filter((s) => s.tags.includes(select.withTag));
    const planned = chosen.map((s) => ({ s, tags: newTags(s.tags, this.p.change) }));
    const refused = planned.some(({ s, tags }) => [PRE_RESTORE_TAG, PROTECT_TAG].some((kindTag) => s.tags.includes(kindTag) !== tags.includes(kindTag)));
    const problems: string[] = [];
    const options = {
      ...this.p.change,
      ...('picks' in select ? { snapshots: chosen.map((s) => s.id) } : { filter: { tags: [[select.withTag]] } }),
    };
    let result: Awaited<ReturnType<typeof tagSnapshots>> | undefined;
    try {
      result = await tagSnapshots(await world.open(), options);
    } catch (error) {
      if (!(refused && isCairnError(error, 'ERR_USAGE'))) throw error;
    }
    if (refused && result !== undefined) problems.push(`tag changed the ${PRE_RESTORE_TAG} or ${PROTECT_TAG} tag of a snapshot instead of refusing`);
    if (result !== undefined) {
      const byOld = new Map(result.rewritten.map((r) => [r.oldId, r]));
      for (const { s, tags } of planned) {
        const rewrite = byOld.get(s.id);
        if (sameSet(tags, s.tags)) {
          if (rewrite !== undefined) problems.push(`tag rewrote ${describeSnapshot(s)}, whose tags [${s.tags.join(',')}] it leaves as they are`);
          if (!result.unchanged.includes(s.id)) problems.push(`tag does not report ${describeSnapshot(s)} as unchanged`);
          continue;
        }
        if (rewrite === undefined || rewrite.newId === null) {
          problems.push(`tag did not rewrite ${describeSnapshot(s)}: [${s.tags.join(',')}] -> [${tags.join(',')}]`);
          continue;
        }
        if (!sameSet(rewrite.tags, tags)) problems.push(`tag gave ${describeSnapshot(s)} tags [${rewrite.tags.join(',')}], not [${tags.join(',')}]`);
        model.snapshots.delete(s.id);
        addSnapshot(model, { ...s, id: rewrite.newId, tags: rewrite.tags, label: `${s.label}, tagged ${label}` });
      }
      const planIds = new Set(chosen.map((s) => s.id));
      for (const r of result.rewritten) if (!planIds.has(r.oldId)) problems.push(`tag rewrote ${r.oldId.slice(0, 12)}, which it was not asked to`);
    }
    await checkInvariants(model, world, label, problems);
  }

  toString(): string {
    const select = 'picks' in this.p.select ? `#${this.p.select.picks.join(',#')}` : `--tag ${this.p.select.withTag}`;
    const change = 'set' in this.p.change ? `--set [${this.p.change.set.join(',')}]` : `--add [${this.p.change.add.join(',')}] --remove [${this.p.change.remove.join(',')}]`;
    return `tag ${select} ${change}`;
  }
}
