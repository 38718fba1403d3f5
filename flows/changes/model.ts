import type { NodeRenames } from "../expr/canonical.ts";
import type { BindingType, Determinism, Effect, FlowDocument, Json } from "../ir/types.ts";
import type { KindCatalog, NodeKindSpec } from "../kinds/spec.ts";
import { parseDuration } from "../units/duration.ts";
import { EFFECT_ORDER, nodeDeterminism, stronger, weaker } from "../validate/summary.ts";
import {
  type CanonContext,
  canonicalBare,
  canonicalEvaluated,
  canonicalJson,
  canonicalTemplate,
} from "./canonical.ts";
import { RUNTIME_DEFAULTS } from "./defaults.ts";
import { type TriggerModel, triggerModels } from "./trigger-model.ts";

/**
 * The model of one flow that plans compare: every value canonical (`canonical.ts`), every default applied, what
 * the runtime derives from the document (edges, effective retry and timeout, effects and determinism) computed
 * once. Built from any loaded document: a field of the wrong shape reads as absent (the validator reports it).
 */

const MAP_KIND = "map";

export interface RetryModel {
  /** Effective attempts: the kernel runs a `write`/`external` node without a key once, whatever it declares. */
  attempts: number;
  /** Backoff, delays and jitter: null when the node is not retried (they do not matter then). */
  backoff: string | null;
  delayMs: number | null;
  maxDelayMs: number | null;
  jitter: boolean | null;
}

/** An effect a node has on the world: its kind and what it acts on (a binding, a URL, a route, a flow). */
export interface EffectSite {
  effect: Effect;
  kind: string;
  /** `R2 \`ARCHIVE\``, `` `${{ vars.API }}` ``; null when the kind names nothing. */
  target: string | null;
}

export interface NodeModel {
  id: string;
  kind: string;
  spec: NodeKindSpec | undefined;
  description: string | null;
  inputs: Record<string, Json>;
  config: Record<string, Json>;
  when: string | null;
  after: string[];
  idempotencyKey: string | null;
  retry: RetryModel;
  timeoutMs: number | null;
  /** The node's effect, its map template's when stronger; null for an unknown kind. */
  effect: Effect | null;
  /** The effects of its kind and its map template's kind. */
  effects: Effect[];
  determinism: Determinism | null;
  sites: EffectSite[];
  /** Its data references, `from.port` (or `from` for a whole node), sorted and unique. */
  references: string[];
  /** Its steps go through the run journal (effectful or nondeterministic work), keyed by its id. */
  journaled: boolean;
  /** Its effect is claimed in the idempotency ledger under a key that holds its id. */
  ledgered: boolean;
}

export interface BindingModel {
  name: string;
  type: string;
  /** Everything but the type and description, canonical. */
  attributes: Record<string, Json>;
  description: string | null;
}

export interface FlowModel {
  id: string;
  file: string;
  version: string | null;
  description: string | null;
  /** The node whose output is the result: `output`, else the only `respond` node. */
  output: string | null;
  deadlineMs: number;
  bindings: Map<string, BindingModel>;
  triggers: TriggerModel[];
  nodes: Map<string, NodeModel>;
  /** `from.port → to` data edges and `from → to (after)` order edges. */
  edges: Set<string>;
  effects: Effect[];
  determinism: Determinism;
  /** Runs of this flow replay finished steps by step key (node id) when they resume: today, queue runs. */
  replaysSteps: boolean;
}

export const recordOf = (v: unknown): Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
export const listOf = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
export const textOf = (v: unknown): string | null => (typeof v === "string" ? v : null);

const durationOf = (v: unknown): number | null => (typeof v === "string" ? (parseDuration(v) ?? null) : null);

const BINDING_LABELS: Readonly<Record<string, string>> = {
  kv: "KV",
  r2: "R2",
  queue: "queue",
  durableObject: "Durable Object",
  var: "var",
  secret: "secret",
};

/** `R2 \`ARCHIVE\``: a binding as effects and messages name it. */
export const bindingLabel = (type: string, name: string): string =>
  `${BINDING_LABELS[type] ?? type} \`${name}\``;

function retryOf(
  decl: Record<string, unknown>,
  effect: Effect | null,
  keyed: boolean,
  declared: boolean,
): RetryModel {
  const attempts = declared && typeof decl.attempts === "number" ? Math.floor(decl.attempts) : 1;
  // kernel/retry.ts resolveRetry: only pure and read work is retried freely.
  const safe = effect === "pure" || effect === "read" || effect === null || keyed || decl.idempotent === true;
  const effective = attempts > 1 && safe ? attempts : 1;
  if (effective === 1) return { attempts: 1, backoff: null, delayMs: null, maxDelayMs: null, jitter: null };
  return {
    attempts: effective,
    backoff: textOf(decl.backoff) ?? RUNTIME_DEFAULTS.retryBackoff,
    delayMs: durationOf(decl.delay) ?? RUNTIME_DEFAULTS.retryDelayMs,
    maxDelayMs: durationOf(decl.maxDelay) ?? RUNTIME_DEFAULTS.retryMaxDelayMs,
    jitter: decl.jitter === true,
  };
}

/** Canonical config: evaluated fields as expressions, a map's template as a body of its own, the rest as JSON. */
function configOf(
  raw: Record<string, unknown>,
  spec: NodeKindSpec | undefined,
  kind: string,
  catalog: KindCatalog,
  ctx: CanonContext,
): { config: Record<string, Json>; template: NodeKindSpec | undefined } {
  const evaluated = new Set(spec?.expressionConfig ?? []);
  const config: Record<string, Json> = {};
  let template: NodeKindSpec | undefined;
  for (const field of Object.keys(raw).sort()) {
    const value = raw[field];
    if (evaluated.has(field)) config[field] = canonicalEvaluated(value, field, ctx);
    else if (kind === MAP_KIND && field === "node") {
      const body = recordOf(value);
      const innerKind = textOf(body.kind) ?? "";
      template = Object.hasOwn(catalog, innerKind) ? catalog[innerKind] : undefined;
      const inner = configOf(recordOf(body.config), template, innerKind, catalog, ctx);
      config[field] = {
        kind: innerKind,
        inputs: canonicalTemplate(recordOf(body.inputs), ctx),
        config: inner.config,
        port: textOf(body.port) ?? "out",
      };
    } else config[field] = canonicalJson(value);
  }
  return { config, template };
}

/** What an effectful node acts on: its binding (kinds that `need` one), else the field its kind names. */
function targetOf(
  spec: NodeKindSpec,
  node: { inputs: Record<string, Json>; config: Record<string, Json> },
  bindings: ReadonlyMap<string, BindingModel>,
): string | null {
  const need = spec.needs?.[0];
  if (need) {
    const named = textOf(node.config.binding);
    const name = named ?? onlyBinding(bindings, need);
    return name ? bindingLabel(need, name) : (BINDING_LABELS[need] ?? need);
  }
  if (!spec.target) return null;
  const [where, field] = spec.target.split(".") as ["inputs" | "config", string];
  const value = (where === "inputs" ? node.inputs : node.config)[field];
  if (value === undefined || value === null) return null;
  return `\`${typeof value === "string" ? value : JSON.stringify(value)}\``;
}

function onlyBinding(bindings: ReadonlyMap<string, BindingModel>, type: BindingType): string | null {
  const names = [...bindings.values()].filter((b) => b.type === type).map((b) => b.name);
  return names.length === 1 ? names[0]! : null;
}

const journaledSpec = (spec: NodeKindSpec): boolean =>
  spec.effect !== "pure" || !(spec.determinism === "strict" || spec.determinism === "stable");

/** One node's model (`renames` applies to its id and its references). */
export function nodeModel(
  raw: Record<string, unknown>,
  doc: Record<string, unknown>,
  bindings: ReadonlyMap<string, BindingModel>,
  catalog: KindCatalog,
  renames: NodeRenames | undefined,
): NodeModel {
  const ctx: CanonContext = { renames, references: [] };
  const rawId = textOf(raw.id) ?? "";
  const id = renames?.get(rawId) ?? rawId;
  const kind = textOf(raw.kind) ?? "";
  const spec = Object.hasOwn(catalog, kind) ? catalog[kind] : undefined;
  const inputs = canonicalTemplate(recordOf(raw.inputs), ctx) as Record<string, Json>;
  const { config, template } = configOf(recordOf(raw.config), spec, kind, catalog, ctx);
  const when = typeof raw.when === "string" ? canonicalBare(raw.when, ctx) : null;
  const idempotencyKey =
    typeof raw.idempotencyKey === "string" ? canonicalBare(raw.idempotencyKey, ctx) : null;
  const after = [...new Set(listOf(raw.after).filter((a): a is string => typeof a === "string"))]
    .map((a) => renames?.get(a) ?? a)
    .sort();
  let effect: Effect | null = spec?.effect ?? null;
  let determinism: Determinism | null = spec ? nodeDeterminism(spec) : null;
  const sites: EffectSite[] = [];
  const site = (s: NodeKindSpec, body: { inputs: Record<string, Json>; config: Record<string, Json> }) => {
    if (s.effect !== "pure")
      sites.push({ effect: s.effect, kind: s.kind, target: targetOf(s, body, bindings) });
  };
  if (spec) site(spec, { inputs, config });
  if (template) {
    const body = recordOf(config.node);
    effect = effect ? stronger(effect, template.effect) : template.effect;
    determinism = determinism ? weaker(determinism, nodeDeterminism(template)) : nodeDeterminism(template);
    site(template, {
      inputs: recordOf(body.inputs) as Record<string, Json>,
      config: recordOf(body.config) as Record<string, Json>,
    });
  }
  const defaults = recordOf(doc.defaults);
  const declared = raw.retry ?? spec?.defaultRetry ?? defaults.retry;
  const timeout = raw.timeout ?? spec?.defaultTimeout ?? defaults.timeout;
  const effectful = effect === "write" || effect === "external";
  return {
    id,
    kind,
    spec,
    description: textOf(raw.description),
    inputs,
    config,
    when,
    after,
    idempotencyKey,
    retry: retryOf(recordOf(declared), effect, idempotencyKey !== null, declared !== undefined),
    timeoutMs: durationOf(timeout),
    effect,
    effects: [spec?.effect, template?.effect].filter((e): e is Effect => e !== undefined),
    determinism,
    sites,
    references: [...new Set(ctx.references.map((r) => (r.port ? `${r.node}.${r.port}` : r.node)))].sort(),
    journaled:
      (spec !== undefined && journaledSpec(spec)) || (template !== undefined && journaledSpec(template)),
    ledgered: idempotencyKey !== null && effectful,
  };
}

export function bindingModels(doc: Record<string, unknown>): Map<string, BindingModel> {
  const out = new Map<string, BindingModel>();
  const raw = recordOf(doc.bindings);
  for (const name of Object.keys(raw).sort()) {
    const decl = recordOf(raw[name]);
    const { type, description, ...rest } = decl;
    out.set(name, {
      name,
      type: textOf(type) ?? "",
      attributes: canonicalJson(rest) as Record<string, Json>,
      description: textOf(description),
    });
  }
  return out;
}

/** The flow's result node: `output`, else its only `respond` node. */
function outputOf(doc: Record<string, unknown>, nodes: readonly Record<string, unknown>[]): string | null {
  if (typeof doc.output === "string") return doc.output;
  const responders = nodes.filter((n) => n.kind === "respond");
  return responders.length === 1 ? textOf(responders[0]!.id) : null;
}

/**
 * The model of a flow. `renames` maps node ids of this document to the ids they are compared under (the before
 * side of a plan, once renamed nodes are known).
 * @example flowModel(doc, "flows/orders.yaml", catalog).nodes.get("fetch")?.sites
 */
export function flowModel(
  document: FlowDocument,
  file: string,
  catalog: KindCatalog,
  renames?: NodeRenames,
): FlowModel {
  const doc = document as unknown as Record<string, unknown>;
  const bindings = bindingModels(doc);
  const rawNodes = listOf(doc.nodes).map(recordOf);
  const nodes = new Map<string, NodeModel>();
  for (const raw of rawNodes) {
    const node = nodeModel(raw, doc, bindings, catalog, renames);
    if (!nodes.has(node.id)) nodes.set(node.id, node);
  }
  const edges = new Set<string>();
  let determinism: Determinism = "strict";
  const effects = new Set<Effect>();
  for (const node of nodes.values()) {
    for (const ref of node.references) edges.add(`${ref} → ${node.id}`);
    for (const before of node.after) edges.add(`${before} → ${node.id} (after)`);
    if (node.determinism) determinism = weaker(determinism, node.determinism);
    for (const e of node.effects) effects.add(e);
  }
  const triggers = triggerModels(doc);
  const output = outputOf(doc, rawNodes);
  return {
    id: textOf(doc.id) ?? "",
    file,
    version: textOf(doc.version),
    description: textOf(doc.description),
    output: output === null ? null : (renames?.get(output) ?? output),
    deadlineMs: durationOf(recordOf(doc.defaults).deadline) ?? RUNTIME_DEFAULTS.deadlineMs,
    bindings,
    triggers,
    nodes,
    edges,
    effects: EFFECT_ORDER.filter((e) => effects.has(e)),
    determinism,
    replaysSteps: triggers.some((t) => t.type === "queue"),
  };
}
