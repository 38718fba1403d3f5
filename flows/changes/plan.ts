import type { KindCatalog } from "../kinds/spec.ts";
import type { FlowSource } from "../validate/types.ts";
import { bindingAdded, bindingRemoved, diffBindings, diffEffects, diffFlowFields } from "./diff-flow.ts";
import { diffNodes, findRenames, nodeAdded, nodeRemoved } from "./diff-nodes.ts";
import { diffTriggers, triggerAdded, triggerRemoved } from "./diff-triggers.ts";
import { type FlowModel, flowModel } from "./model.ts";
import { sharedTriggers } from "./shared.ts";
import { type FlowInput, type FlowSet, flowSet } from "./sources.ts";
import {
  CHANGE_PLAN_VERSION,
  CHANGE_SECTIONS,
  type Change,
  type ChangePlan,
  type FlowChange,
} from "./types.ts";

/**
 * `planChanges`: the change plan between two sets of flows (see `types.ts` for its shape). Flows are paired by id;
 * each pair is compared on its models (`model.ts`), so formatting (key and node order, YAML or JSON, comments,
 * quoting, whitespace inside expressions) is never a change.
 */

export interface ChangePlanOptions {
  /** The node kinds (effect, determinism, defaults); a kind not in it has no effect in the plan. */
  catalog: KindCatalog;
}

const SECTION_RANK = new Map(CHANGE_SECTIONS.map((s, i) => [s, i]));
const bySection = (a: Change, b: Change): number =>
  SECTION_RANK.get(a.section)! - SECTION_RANK.get(b.section)!;

function flowChange(
  id: string,
  status: FlowChange["status"],
  before: FlowModel | undefined,
  after: FlowModel | undefined,
  changes: Change[],
): FlowChange {
  const sorted = [...changes].sort(bySection);
  return {
    id,
    status,
    file: { before: before?.file ?? null, after: after?.file ?? null },
    version: { before: before?.version ?? null, after: after?.version ?? null },
    determinism: { before: before?.determinism ?? null, after: after?.determinism ?? null },
    effects: { before: before?.effects ?? [], after: after?.effects ?? [] },
    changes: sorted,
    breaking: sorted.filter((c) => c.breaking !== null).length,
  };
}

function added(a: FlowModel): FlowChange {
  return flowChange(a.id, "added", undefined, a, [
    ...a.triggers.map(triggerAdded),
    ...[...a.bindings.values()].map(bindingAdded),
    ...[...a.nodes.values()].map(nodeAdded),
    ...diffEffects(undefined, a),
  ]);
}

function removed(b: FlowModel): FlowChange {
  return flowChange(b.id, "removed", b, undefined, [
    ...b.triggers.map(triggerRemoved),
    ...[...b.bindings.values()].map(bindingRemoved),
    ...[...b.nodes.values()].map(nodeRemoved),
    ...diffEffects(b, undefined),
  ]);
}

function compared(
  b: FlowInput,
  a: FlowInput,
  catalog: KindCatalog,
): { change: FlowChange; before: FlowModel; after: FlowModel } {
  const after = flowModel(a.document, a.file, catalog);
  let before = flowModel(b.document, b.file, catalog);
  const renames = findRenames(b.document, before, after, catalog);
  if (renames.size > 0) before = flowModel(b.document, b.file, catalog, renames);
  const changes = [
    ...diffFlowFields(before, after),
    ...diffTriggers(before.triggers, after.triggers),
    ...diffBindings(before, after),
    ...diffNodes(before, after, renames),
    ...diffEffects(before, after),
  ];
  return { change: flowChange(after.id, "changed", before, after, changes), before, after };
}

/**
 * The change plan from `before` to `after`. Flows of a file that is a problem on the other side are not compared
 * (they would look added or removed).
 * @example planChanges(flowSet(old, "before"), flowSet(now, "after"), { catalog }).status // "breaking"
 */
export function planChanges(before: FlowSet, after: FlowSet, options: ChangePlanOptions): ChangePlan {
  const { catalog } = options;
  const problems = [...before.problems, ...after.problems];
  const unreadable = (side: "before" | "after") =>
    new Set(problems.filter((p) => p.side === side).map((p) => p.file));
  const skipBefore = unreadable("after");
  const skipAfter = unreadable("before");
  const old = new Map(before.flows.filter((f) => !skipBefore.has(f.file)).map((f) => [f.document.id, f]));
  const now = new Map(after.flows.filter((f) => !skipAfter.has(f.file)).map((f) => [f.document.id, f]));
  const flows: FlowChange[] = [];
  const beforeModels: FlowModel[] = [];
  const afterModels: FlowModel[] = [];
  let unchanged = 0;
  for (const id of [...new Set([...old.keys(), ...now.keys()])].sort()) {
    const b = old.get(id);
    const a = now.get(id);
    if (b && a) {
      const { change, before: model, after: next } = compared(b, a, catalog);
      beforeModels.push(model);
      afterModels.push(next);
      if (change.changes.length > 0) flows.push(change);
      else unchanged++;
    } else if (a) {
      const model = flowModel(a.document, a.file, catalog);
      afterModels.push(model);
      flows.push(added(model));
    } else if (b) {
      const model = flowModel(b.document, b.file, catalog);
      beforeModels.push(model);
      flows.push(removed(model));
    }
  }
  const shared = sharedTriggers(beforeModels, afterModels);
  const changes = flows.reduce((n, f) => n + f.changes.length, 0);
  const breaking = flows.reduce((n, f) => n + f.breaking, 0);
  return {
    version: CHANGE_PLAN_VERSION,
    status: breaking > 0 ? "breaking" : changes > 0 || shared.length > 0 ? "changed" : "unchanged",
    summary: {
      flows: {
        before: before.flows.length,
        after: after.flows.length,
        added: flows.filter((f) => f.status === "added").length,
        removed: flows.filter((f) => f.status === "removed").length,
        changed: flows.filter((f) => f.status === "changed").length,
        unchanged,
      },
      changes,
      breaking,
    },
    flows,
    shared,
    problems,
  };
}

/**
 * The change plan between two sets of files (flow files or packaged `flows.json`).
 * @example planSources([{ file: "a.yaml", text: old }], [{ file: "a.yaml", text: now }], { catalog })
 */
export function planSources(
  before: readonly FlowSource[],
  after: readonly FlowSource[],
  options: ChangePlanOptions,
): ChangePlan {
  return planChanges(flowSet(before, "before"), flowSet(after, "after"), options);
}
