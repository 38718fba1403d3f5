import type { FlowDocument, Json } from "../ir/types.ts";
import type { KindCatalog } from "../kinds/spec.ts";
import { sameJson } from "./canonical.ts";
import { change, code, duration, list } from "./format.ts";
import {
  bindingModels,
  type FlowModel,
  listOf,
  type NodeModel,
  nodeModel,
  recordOf,
  textOf,
} from "./model.ts";
import type { Change } from "./types.ts";

/**
 * Node changes: nodes are paired by id; a node that is gone and a new one of the same kind with exactly the same
 * body (references to other renamed nodes followed) is a rename. Then their fields, the edges of the graph, and
 * the effective retry and timeout of each node. Renaming, or changing the kind of, a node whose steps runs in
 * flight replay by step key (the node id) is breaking; so is a new idempotency key of an effectful node.
 */

/** Everything of a node but its id, as compared for renames. */
const bodyKey = (n: NodeModel): string =>
  JSON.stringify([
    n.kind,
    n.description,
    n.inputs,
    n.config,
    n.when,
    n.after,
    n.idempotencyKey,
    n.retry,
    n.timeoutMs,
  ]);

/**
 * Renamed nodes: before id → after id. A gone node is renamed to a new node when exactly one new node of its kind
 * has its body, and no other gone node has that body too. Repeated until no more are found, so that a chain of
 * renamed nodes (each reading the one before) is followed.
 */
export function findRenames(
  beforeDoc: FlowDocument,
  before: FlowModel,
  after: FlowModel,
  catalog: KindCatalog,
): Map<string, string> {
  const renames = new Map<string, string>();
  const gone = [...before.nodes.keys()].filter((id) => !after.nodes.has(id));
  const fresh = [...after.nodes.values()].filter((n) => !before.nodes.has(n.id));
  if (gone.length === 0 || fresh.length === 0) return renames;
  const doc = beforeDoc as unknown as Record<string, unknown>;
  const raws = new Map(listOf(doc.nodes).map((n) => [textOf(recordOf(n).id) ?? "", recordOf(n)] as const));
  const bindings = bindingModels(doc);
  const taken = new Set<string>();
  for (let round = 0; round < 4; round++) {
    const found = new Map<string, string[]>();
    for (const id of gone) {
      if (renames.has(id)) continue;
      const raw = raws.get(id)!;
      for (const candidate of fresh) {
        if (taken.has(candidate.id) || candidate.kind !== before.nodes.get(id)!.kind) continue;
        const trial = new Map(renames).set(id, candidate.id);
        if (bodyKey(nodeModel(raw, doc, bindings, catalog, trial)) !== bodyKey(candidate)) continue;
        found.set(id, [...(found.get(id) ?? []), candidate.id]);
      }
    }
    const targets = [...found.values()].flat();
    let progress = false;
    for (const [id, candidates] of found) {
      const only = candidates.length === 1 ? candidates[0]! : undefined;
      if (only === undefined || targets.filter((t) => t === only).length > 1) continue;
      renames.set(id, only);
      taken.add(only);
      progress = true;
    }
    if (!progress) break;
  }
  return renames;
}

/** `node \`save\` (\`r2.put\`)`. */
const label = (n: NodeModel): string => `node \`${n.id}\` (\`${n.kind}\`)`;

/** `node \`save\` (write to R2 \`ARCHIVE\`)`: a node as policies speak of it. */
function effectLabel(n: NodeModel): string {
  const site = n.sites[0];
  if (!site) return `node \`${n.id}\``;
  return `node \`${n.id}\` (\`${site.effect}\`${site.target ? ` to ${site.target}` : ` \`${site.kind}\``})`;
}

/** Why renaming (or re-kinding) this node breaks runs in flight, or null. */
function replayBreak(n: NodeModel, flow: FlowModel, what: "renamed" | "kind", oldId: string): string | null {
  if (n.journaled && flow.replaysSteps)
    return what === "renamed"
      ? `a run in flight resumes from the journal by step key: it finds no \`${n.id}#1\` and runs the step again (\`${oldId}#1\` already ran)`
      : `a run in flight replays the outputs the old kind recorded for step \`${n.id}#1\``;
  if (n.ledgered && what === "renamed")
    return `the idempotency ledger keys the effect by flow, node id and key: a run retried or redelivered after the deploy finds no claim for \`${n.id}\` and repeats the effect \`${oldId}\` already had`;
  return null;
}

/** Config by field; a map's template (`node`) by its parts (`node.kind`, `node.inputs.url`...). */
function flatConfig(n: NodeModel): Record<string, Json> {
  const out: Record<string, Json> = {};
  for (const [field, value] of Object.entries(n.config)) {
    if (
      !(n.kind === "map" && field === "node" && value && typeof value === "object" && !Array.isArray(value))
    ) {
      out[field] = value;
      continue;
    }
    for (const [part, inner] of Object.entries(value)) {
      if (
        (part === "inputs" || part === "config") &&
        inner &&
        typeof inner === "object" &&
        !Array.isArray(inner)
      )
        for (const [k, v] of Object.entries(inner)) out[`node.${part}.${k}`] = v;
      else out[`node.${part}`] = inner;
    }
  }
  return out;
}

function fieldChanges(b: NodeModel, a: NodeModel, flow: FlowModel): Change[] {
  const out: Change[] = [];
  const subject = `node ${a.id}`;
  const push = (field: string, message: string, before: Json, after: Json, breaking: string | null = null) =>
    out.push(change("nodes", "changed", subject, message, { field, before, after, breaking }));
  if (b.kind !== a.kind)
    push(
      "kind",
      `node \`${a.id}\`: kind ${code(b.kind)} → ${code(a.kind)}`,
      b.kind,
      a.kind,
      replayBreak(b, flow, "kind", b.id),
    );
  if (b.description !== a.description)
    push("description", `node \`${a.id}\`: description changed`, b.description, a.description);
  for (const [part, bv, av] of [
    ["inputs", b.inputs, a.inputs],
    ["config", flatConfig(b), flatConfig(a)],
  ] as const) {
    const noun = part === "inputs" ? "input" : "config";
    for (const key of [...new Set([...Object.keys(bv), ...Object.keys(av)])].sort()) {
      const x = bv[key];
      const y = av[key];
      if (sameJson(x, y)) continue;
      const field = `${part}.${key}`;
      if (x === undefined)
        push(field, `node \`${a.id}\`: new ${noun} \`${key}\` = ${code(y)}`, null, y ?? null);
      else if (y === undefined)
        push(field, `node \`${a.id}\`: ${noun} \`${key}\` removed (was ${code(x)})`, x, null);
      else push(field, `node \`${a.id}\`: ${noun} \`${key}\` ${code(x)} → ${code(y)}`, x, y);
    }
  }
  if (b.when !== a.when)
    push(
      "when",
      a.when === null
        ? `node \`${a.id}\` now always runs (was when ${code(b.when)})`
        : b.when === null
          ? `node \`${a.id}\` now runs only when ${code(a.when)}`
          : `node \`${a.id}\`: when ${code(b.when)} → ${code(a.when)}`,
      b.when,
      a.when,
    );
  if (!sameJson(b.after, a.after))
    push(
      "after",
      `node \`${a.id}\` now runs after ${list(a.after)} (was ${list(b.after)})`,
      b.after,
      a.after,
    );
  if (b.idempotencyKey !== a.idempotencyKey) {
    const effectful = a.effect === "write" || a.effect === "external";
    push(
      "idempotencyKey",
      `node \`${a.id}\`: idempotency key ${b.idempotencyKey === null ? "none" : code(b.idempotencyKey)} → ${a.idempotencyKey === null ? "none" : code(a.idempotencyKey)}`,
      b.idempotencyKey,
      a.idempotencyKey,
      effectful && b.idempotencyKey !== null
        ? "a run retried or redelivered after the deploy claims a different key and repeats the effect"
        : null,
    );
  }
  return out;
}

/** Node, edge and policy changes between the nodes of two versions of a flow (`before` already renamed). */
export function diffNodes(
  before: FlowModel,
  after: FlowModel,
  renames: ReadonlyMap<string, string>,
): Change[] {
  const out: Change[] = [];
  for (const [from, to] of renames) {
    const a = after.nodes.get(to)!;
    out.push(
      change("nodes", "renamed", `node ${to}`, `node \`${from}\` renamed to \`${to}\``, {
        field: "id",
        before: from,
        after: to,
        breaking: replayBreak(a, before, "renamed", from),
      }),
    );
  }
  for (const [id, b] of before.nodes) {
    const a = after.nodes.get(id);
    if (!a) out.push(nodeRemoved(b));
    else out.push(...fieldChanges(b, a, before));
  }
  for (const [id, a] of after.nodes) if (!before.nodes.has(id)) out.push(nodeAdded(a));
  for (const edge of before.edges) if (!after.edges.has(edge)) out.push(edgeChange("removed", edge));
  for (const edge of after.edges) if (!before.edges.has(edge)) out.push(edgeChange("added", edge));
  for (const [id, a] of after.nodes) {
    const b = before.nodes.get(id);
    if (b) out.push(...policyChanges(b, a));
  }
  return out;
}

export const nodeAdded = (a: NodeModel): Change =>
  change("nodes", "added", `node ${a.id}`, `new ${label(a)}`, { after: a.kind });

export const nodeRemoved = (b: NodeModel): Change =>
  change("nodes", "removed", `node ${b.id}`, `${label(b)} removed`, { before: b.kind });

function edgeChange(op: "added" | "removed", edge: string): Change {
  const [from, rest] = edge.split(" → ") as [string, string];
  const order = rest.endsWith(" (after)");
  const to = order ? rest.slice(0, -" (after)".length) : rest;
  const now = op === "added" ? "now" : "no longer";
  const message = order ? `\`${to}\` ${now} runs after \`${from}\`` : `\`${to}\` ${now} reads \`${from}\``;
  return change("edges", op, `edge ${edge}`, message, { [op === "added" ? "after" : "before"]: edge });
}

const attemptsText = (n: number): string => (n <= 1 ? "not retried" : `retried ${n}×`);

function retryText(r: NodeModel["retry"]): string {
  if (r.attempts <= 1) return "not retried";
  return `${r.attempts}× ${r.backoff} from ${duration(r.delayMs)} to ${duration(r.maxDelayMs)}${r.jitter ? " with jitter" : ""}`;
}

function policyChanges(b: NodeModel, a: NodeModel): Change[] {
  const out: Change[] = [];
  const subject = `node ${a.id}`;
  if (!sameJson(b.retry as unknown as Json, a.retry as unknown as Json)) {
    const message =
      b.retry.attempts !== a.retry.attempts
        ? `${effectLabel(a)} is now ${attemptsText(a.retry.attempts)} (was ${attemptsText(b.retry.attempts)})`
        : `${effectLabel(a)}: retry ${retryText(b.retry)} → ${retryText(a.retry)}`;
    out.push(
      change("policies", "changed", subject, message, {
        field: "retry",
        before: b.retry as unknown as Json,
        after: a.retry as unknown as Json,
      }),
    );
  }
  if (b.timeoutMs !== a.timeoutMs)
    out.push(
      change(
        "policies",
        "changed",
        subject,
        `${effectLabel(a)}: timeout ${duration(b.timeoutMs)} → ${duration(a.timeoutMs)}`,
        {
          field: "timeout",
          before: b.timeoutMs,
          after: a.timeoutMs,
        },
      ),
    );
  return out;
}
