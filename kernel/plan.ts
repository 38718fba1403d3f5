import type { CompiledExpression, NodeReference } from "../flows/expr/index.ts";
import type { Determinism, Effect, FlowDocument } from "../flows/ir/types.ts";
import type { NodeKindSpec } from "../flows/kinds/spec.ts";
import { instantiateFlow } from "../flows/params/index.ts";
import { FlowError } from "./errors.ts";
import { handOffPorts } from "./hand-off.ts";
import { stepKey } from "./journal.ts";
import { BUILTIN_KINDS } from "./kinds/builtins.ts";
import { KIND_MERGE, KIND_RESPOND } from "./kinds/specs.ts";
import type { KindRegistry } from "./kinds/types.ts";
import { type CompiledStep, compileBare, compileStep, type PlanIssue, strongerEffect } from "./plan-step.ts";
import { parseDuration } from "./time.ts";

/**
 * Compiles a (validated) flow document once into an execution plan: expressions compiled, edges resolved to
 * indices, timeouts and retry policies resolved. A plan is immutable and reused by every run of the flow;
 * a run does no parsing.
 */

/**
 * The default whole-run deadline: 25 s. A Worker answering HTTP has no wall-clock limit while the client
 * waits, but after a disconnect `waitUntil` work gets 30 s, and the default CPU limit is 30 s; 25 s leaves
 * the host 5 s to answer with DEADLINE_EXCEEDED and flush logs. Queue and cron flows may set a longer
 * `defaults.deadline` (the schema allows up to 15m, the wall-clock limit of those handlers).
 */
export const DEFAULT_DEADLINE_MS = 25_000;

/** A `nodes.<id>.<port>` reference resolved to a node index. */
export interface PortRef {
  readonly node: number;
  /** Undefined when the whole node is referenced. */
  readonly port: string | undefined;
}

export interface PlannedInput {
  readonly name: string;
  readonly sources: readonly PortRef[];
}

/** A graph node of a plan. */
export interface PlannedNode extends CompiledStep {
  readonly index: number;
  /** Journal key of the node in a top-level run: `<id>#1`. */
  readonly stepKey: string;
  readonly when: CompiledExpression | undefined;
  readonly join: boolean;
  /** How many sources must settle before the node may start. */
  readonly waitCount: number;
  /** Nodes whose data this node reads: if one is skipped, so is this node (unless it is a join). */
  readonly skipSources: readonly number[];
  /** Ports this node reads: if one was not emitted, the node is skipped (unless it is a join). */
  readonly portChecks: readonly PortRef[];
  /** Sources of each input, for joins. */
  readonly inputSources: readonly PlannedInput[];
  /** Dependants to release when this node's outputs are available. */
  readonly releaseAtOutput: readonly number[];
  /** Dependants to release when this node has ended (order-only edges, and streaming sources). */
  readonly releaseAtEnd: readonly number[];
  /** One of the plan's output candidates. */
  readonly isOutput: boolean;
  /**
   * Stream ports handed to their one reader untouched, when nobody listens to the run's events (`hand-off.ts`);
   * the others are pumped into ChunkStreams.
   */
  readonly handOff: readonly string[];
}

export interface ExecutionPlan {
  readonly flowId: string;
  readonly version: string;
  readonly nodes: readonly PlannedNode[];
  readonly indexById: ReadonlyMap<string, number>;
  /** Nodes with nothing to wait for. */
  readonly roots: readonly number[];
  /** `waitCount` of every node, zeros, and zero timestamps (two per node, stored as doubles): copied by each run. */
  readonly waitCounts: readonly number[];
  readonly zeros: readonly number[];
  readonly timeZeros: readonly number[];
  /** The output node, or every `respond` node in order (the first one that ran gives the output). */
  readonly outputCandidates: readonly number[];
  /**
   * Whether the output is an HTTP answer, `{ status, headers, body }`: a `respond` node's, or a `merge` in `mode:
   * first` whose every input is such a node's `out` (one answer per branch, joined).
   */
  readonly outputIsResponse: boolean;
  readonly deadlineMs: number;
  readonly vars: Readonly<Record<string, unknown>>;
  /** Strongest effect of any node. */
  readonly effect: Effect;
  /** Weakest determinism of any node; a write or external effect caps it at `best_effort`. */
  readonly determinism: Determinism;
  readonly registry: KindRegistry;
}

export interface PlanOptions {
  /** Node kinds; the built-ins by default. */
  registry?: KindRegistry;
}

const DETERMINISM_RANK: Readonly<Record<Determinism, number>> = {
  strict: 0,
  stable: 1,
  best_effort: 2,
  nondeterministic: 3,
};

/**
 * A flow's overall determinism: the weakest of its nodes' kinds, and at most `best_effort` when any node
 * writes or has an external effect.
 * @example flowDeterminism([transformSpec, httpFetchSpec]) // "nondeterministic"
 */
export function flowDeterminism(specs: Iterable<Pick<NodeKindSpec, "effect" | "determinism">>): Determinism {
  let rank = 0;
  for (const spec of specs) {
    rank = Math.max(rank, DETERMINISM_RANK[spec.determinism]);
    if (spec.effect === "write" || spec.effect === "external")
      rank = Math.max(rank, DETERMINISM_RANK.best_effort);
  }
  return (Object.keys(DETERMINISM_RANK) as Determinism[])[rank]!;
}

/**
 * Builds the plan of a flow. Throws `UNKNOWN_KIND` for an unregistered kind and `PLAN_INVALID` (details:
 * `{ issues }`) for expressions that do not compile, unknown references and cycles — which the validator
 * reports first, with file positions.
 * @example const plan = createPlan(doc); const result = await runFlow(plan, { trigger })
 */
export function createPlan(source: FlowDocument, options: PlanOptions = {}): ExecutionPlan {
  const doc = withParamDefaults(source);
  const registry = options.registry ?? BUILTIN_KINDS;
  const issues: PlanIssue[] = [];
  const indexById = new Map<string, number>();
  doc.nodes.forEach((node, i) => {
    if (indexById.has(node.id)) issues.push({ nodeId: node.id, path: "id", message: "duplicate node id" });
    indexById.set(node.id, i);
  });
  const defaults = doc.defaults ?? {};
  const compiled = doc.nodes.map((node) => {
    const references: NodeReference[] = [];
    const ctx = { registry, defaults, bindings: doc.bindings ?? {}, issues, references };
    const step = compileStep(node, ctx);
    const when = node.when === undefined ? undefined : compileBare(node.when, node.id, "when", ctx);
    return { step, when, references, after: node.after ?? [] };
  });
  const reported = new Set<object>();
  const resolve = (nodeId: string, ref: { node: string; port?: string | undefined }, path: string) => {
    const index = indexById.get(ref.node);
    if (index === undefined && !reported.has(ref)) {
      reported.add(ref);
      issues.push({ nodeId, path, message: `unknown node \`${ref.node}\`` });
    }
    return index === undefined ? undefined : { node: index, port: ref.port };
  };
  const nodes: Omit<PlannedNode, "releaseAtOutput" | "releaseAtEnd" | "isOutput" | "handOff">[] =
    compiled.map((c, index) => {
      const id = c.step.id;
      const inputSources = c.step.inputs.map((input) => ({
        name: input.name,
        sources: input.references.flatMap((ref) => resolve(id, ref, `inputs.${input.name}`) ?? []),
      }));
      const data = new Set<number>();
      const ports = new Map<string, PortRef>();
      for (const ref of c.references) {
        const resolved = resolve(id, ref, "config");
        if (!resolved) continue;
        data.add(resolved.node);
        if (resolved.port !== undefined) ports.set(`${resolved.node}.${resolved.port}`, resolved);
      }
      const order = new Set<number>();
      for (const after of c.after) {
        const resolved = resolve(id, { node: after }, "after");
        if (resolved) order.add(resolved.node);
      }
      return {
        ...c.step,
        index,
        stepKey: stepKey(id, 1),
        when: c.when,
        join: c.step.kind.spec.join === true,
        waitCount: new Set([...data, ...order]).size,
        skipSources: [...data],
        portChecks: [...ports.values()],
        inputSources,
      };
    });
  const releaseAtOutput: number[][] = nodes.map(() => []);
  const releaseAtEnd: number[][] = nodes.map(() => []);
  compiled.forEach((c, index) => {
    const order = new Set(c.after.flatMap((id) => indexById.get(id) ?? []));
    for (const source of order) releaseAtEnd[source]!.push(index);
    for (const source of nodes[index]!.skipSources)
      if (!order.has(source)) releaseAtOutput[source]!.push(index);
  });
  const candidates = outputCandidates(doc, indexById);
  const handOff = handOffPorts(
    doc,
    compiled.map((c) => c.step),
    compiled.map((c) => c.references),
    candidates,
  );
  const planned: PlannedNode[] = nodes.map((n, i) =>
    Object.freeze({
      ...n,
      releaseAtOutput: releaseAtOutput[i]!,
      releaseAtEnd: releaseAtEnd[i]!,
      isOutput: candidates.includes(i),
      handOff: handOff[i]!,
    }),
  );
  checkAcyclic(planned, issues);
  if (issues.length > 0) {
    const first = issues[0]!;
    const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : "";
    throw new FlowError(
      "PLAN_INVALID",
      `flow \`${doc.id}\`: node \`${first.nodeId}\` ${first.path}: ${first.message}${more}`,
      {
        details: { issues },
      },
    );
  }
  return Object.freeze({
    flowId: doc.id,
    version: doc.version,
    nodes: planned,
    indexById,
    roots: planned.filter((n) => n.waitCount === 0).map((n) => n.index),
    waitCounts: planned.map((n) => n.waitCount),
    zeros: planned.map(() => 0),
    timeZeros: doubleZeros(2 * planned.length),
    outputCandidates: candidates,
    outputIsResponse:
      candidates.length > 0 && candidates.every((i) => answersWithResponse(doc, indexById, i)),
    deadlineMs: (doc.defaults?.deadline && parseDuration(doc.defaults.deadline)) || DEFAULT_DEADLINE_MS,
    vars: varsOf(doc),
    effect: planned.reduce<Effect>((e, n) => strongerEffect(e, n.effect), "pure"),
    determinism: flowDeterminism(planned.flatMap((n) => stepSpecs(n))),
    registry,
  });
}

/**
 * A flow with parameters runs as the flow of its defaults (an instance made with `instantiateFlow` has its values
 * as defaults): references left in it would otherwise reach the expression compiler.
 */
function withParamDefaults(doc: FlowDocument): FlowDocument {
  if (doc.params === undefined) return doc;
  const { document, issues } = instantiateFlow(doc);
  if (issues.length === 0) return document;
  throw new FlowError("PLAN_INVALID", `flow \`${doc.id}\`: ${issues[0]!.message}`, {
    details: { issues: issues.map((i) => ({ path: i.pointer, message: i.message })) },
  });
}

/** An array of `n` zeros that V8 keeps as doubles (it never converts an array back to small integers). */
function doubleZeros(n: number): number[] {
  const zeros = new Array<number>(n).fill(0.5);
  return zeros.fill(0);
}

function stepSpecs(step: CompiledStep): NodeKindSpec[] {
  return step.template ? [step.kind.spec, ...stepSpecs(step.template)] : [step.kind.spec];
}

function outputCandidates(doc: FlowDocument, indexById: ReadonlyMap<string, number>): number[] {
  if (doc.output !== undefined) {
    const index = indexById.get(doc.output);
    return index === undefined ? [] : [index];
  }
  return doc.nodes.flatMap((n, i) => (n.kind === KIND_RESPOND ? [i] : []));
}

/** `${{ nodes.<id>.out }}` and nothing else: an input that forwards a node's output unchanged. */
const FORWARDED_OUTPUT = /^\$\{\{\s*nodes\.([A-Za-z_][A-Za-z0-9_]*)\.out\s*\}\}$/;

/** Whether node `index`'s output is a `respond` node's answer (see `ExecutionPlan.outputIsResponse`). */
function answersWithResponse(
  doc: FlowDocument,
  indexById: ReadonlyMap<string, number>,
  index: number,
  seen: ReadonlySet<number> = new Set(),
): boolean {
  const node = doc.nodes[index];
  if (!node || seen.has(index)) return false;
  if (node.kind === KIND_RESPOND) return true;
  if (node.kind !== KIND_MERGE || node.config?.mode !== "first") return false;
  const inputs = Object.values(node.inputs ?? {});
  const inner = new Set([...seen, index]);
  return (
    inputs.length > 0 &&
    inputs.every((value) => {
      const id = typeof value === "string" ? FORWARDED_OUTPUT.exec(value)?.[1] : undefined;
      const source = id === undefined ? undefined : indexById.get(id);
      return source !== undefined && answersWithResponse(doc, indexById, source, inner);
    })
  );
}

function varsOf(doc: FlowDocument): Readonly<Record<string, unknown>> {
  const vars: Record<string, unknown> = {};
  for (const [name, binding] of Object.entries(doc.bindings ?? {})) {
    if (binding.type === "var") vars[name] = structuredClone(binding.value);
  }
  return Object.freeze(vars);
}

/** Kahn's algorithm over the wait edges; reports the nodes on a cycle. */
function checkAcyclic(nodes: readonly PlannedNode[], issues: PlanIssue[]): void {
  const remaining = nodes.map((n) => n.waitCount);
  const queue = nodes.filter((n) => n.waitCount === 0).map((n) => n.index);
  let seen = 0;
  while (queue.length > 0) {
    const index = queue.pop()!;
    seen++;
    const node = nodes[index]!;
    for (const next of [...node.releaseAtOutput, ...node.releaseAtEnd]) {
      if (--remaining[next]! === 0) queue.push(next);
    }
  }
  if (seen === nodes.length) return;
  const cycle = nodes.filter((n) => remaining[n.index]! > 0).map((n) => n.id);
  issues.push({
    nodeId: cycle[0]!,
    path: "inputs",
    message: `nodes ${cycle.map((id) => `\`${id}\``).join(", ")} form a cycle`,
  });
}
