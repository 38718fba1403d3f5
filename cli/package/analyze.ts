import type { CapabilityDeclaration } from "../../capabilities/declaration.ts";
import { RUNTIME_CLASS, STATE_CLASS } from "../../capabilities/durable-objects/declaration.ts";
import {
  BUDGET_CLASS,
  BUDGET_SUBREQUESTS,
  budgetBindingOf,
  budgetBindings,
} from "../../capabilities/github/budget/declaration.ts";
import { KIND_DURABLE_EVENT } from "../../capabilities/workflows/declaration.ts";
import { isDurable } from "../../flows/ir/durable.ts";
import type { BindingDecl, FlowDocument, Json, NodeDecl, TriggerDecl } from "../../flows/ir/types.ts";
import type { KindCatalog } from "../../flows/kinds/spec.ts";
import { DEFAULT_GITHUB_PATH } from "../../flows/validate/rules/deployment.ts";
import { githubWebhookDocuments } from "../../hosts/workers/github.ts";
import { RECORDING_SUBREQUESTS, RUNS_CLASS } from "../../hosts/workers/runs/declaration.ts";
import { ADMIN_TOKEN_BINDING } from "../../hosts/workers/viewer/auth.ts";
import { KIND_WAIT } from "../../kernel/kinds/specs.ts";
import { resolveRetry } from "../../kernel/retry.ts";
import { PackageError } from "./errors.ts";

/** What the packager needs to know about a set of validated flows. */
export interface FlowsAnalysis {
  /** Every node kind used (map templates included), sorted. */
  kinds: string[];
  /** The capabilities whose kinds are used, in declaration order. */
  capabilities: CapabilityDeclaration[];
  /** The bindings of all flows, merged by name (one declaration per name). */
  bindings: Record<string, BindingDecl>;
  /** Every trigger of every flow, and the queue triggers of the consumers the host adds for `ack: queue` GitHub triggers. */
  triggers: TriggerDecl[];
  /** True when the host will use the FlowsRuntime object: a queue trigger, or a node with an idempotency key. */
  runtime: boolean;
  /** True when some flow's runs are recorded (`runs.record` is not `none`; `failed` by default): the run store. */
  runs: boolean;
  /**
   * True when some flow is durable (`durable: true`) or sends events to durable runs (`durable.event`): the Worker
   * exports FlowsWorkflow and binds FLOWS_WORKFLOW.
   */
  durable: boolean;
  /**
   * The bindings of the shared GitHub rate budget (`FlowsGitHubBudget`) that the flows' GitHub REST nodes use
   * (`GITHUB_BUDGET` unless a node names another or says `budget: false`), sorted.
   */
  githubBudgets: string[];
  /** The Durable Object classes the Worker must export (FlowsGitHubBudget, FlowsRuns, FlowsRuntime, FlowsState), sorted. */
  objectClasses: string[];
  /** `var` bindings with their values. */
  vars: Record<string, Json>;
  /** Secret names (values are never written): `secret` bindings, and FLOWS_ADMIN_TOKEN when a durable run waits for events. */
  secrets: string[];
  /** Cron schedules, each once. */
  crons: string[];
  /** HTTP paths the Worker serves: `METHOD /path` with the flow id (GitHub webhooks as POST). */
  routes: { method: string; path: string; flowId: string }[];
  /** Subrequests one run of each flow can make (see `countSubrequests`). */
  subrequests: SubrequestCount[];
}

/** The subrequests of one run of a flow: external and capability calls, retries included. */
export interface SubrequestCount {
  flowId: string;
  count: number;
  /** True when a `map` over a list not known when packaging calls something: `count` counts one item. */
  unbounded: boolean;
}

const withoutDescription = (decl: BindingDecl): string => {
  const { description: _ignored, ...rest } = decl;
  return JSON.stringify(rest);
};

/** A node and the nodes of its `map` templates (`config.node`), at any depth. */
function* nodeAndTemplates(
  node: Pick<NodeDecl, "kind" | "config">,
): Generator<Pick<NodeDecl, "kind" | "config">> {
  yield node;
  const template = node.config?.node;
  if (
    template &&
    typeof template === "object" &&
    !Array.isArray(template) &&
    typeof template.kind === "string"
  ) {
    yield* nodeAndTemplates(template as Pick<NodeDecl, "kind" | "config">);
  }
}

/** The length of a `map`'s `items` when packaging can know it: a literal list, or `${{ range(N) }}`. */
export function staticLength(items: Json | undefined): number | undefined {
  if (Array.isArray(items)) return items.length;
  if (typeof items === "string") {
    const match = /^\$\{\{\s*range\(\s*(\d+)\s*\)\s*\}\}$/.exec(items.trim());
    if (match) return Number(match[1]);
  }
  return undefined;
}

/**
 * Counts the subrequests one run of a flow can make, at most: every node whose kind is not `pure` (reads,
 * writes and external calls: capability calls and `http.fetch`) counts once per attempt (its resolved retry
 * policy); a node with an idempotency key adds two calls to the FlowsRuntime ledger (claim, then complete)
 * when the runtime is bound; a GitHub REST node adds its calls to the shared budget (a take, and the report of its
 * last call: BUDGET_SUBREQUESTS) unless it says `budget: false`. A `map` multiplies its template's count by the number of items when that is
 * known (a literal list or `range(N)`); otherwise it counts one item and marks the flow `unbounded`. A
 * `subflow` counts the called flow's run (a cycle is unbounded).
 */
export function countSubrequests(
  documents: readonly FlowDocument[],
  catalog: KindCatalog,
  runtime: boolean,
): SubrequestCount[] {
  const byId = new Map(documents.map((d) => [d.id, d]));
  const memo = new Map<string, { count: number; unbounded: boolean }>();
  const countFlow = (doc: FlowDocument, stack: readonly string[]): { count: number; unbounded: boolean } => {
    const known = memo.get(doc.id);
    if (known) return known;
    if (stack.includes(doc.id)) return { count: 0, unbounded: true };
    let count = 0;
    let unbounded = false;
    const countNode = (node: NodeDecl): number => {
      const spec = catalog[node.kind];
      if (!spec) return 0;
      const policy = node.retry ?? spec.defaultRetry ?? doc.defaults?.retry;
      const attempts = resolveRetry(policy, spec.effect, node.idempotencyKey !== undefined).attempts;
      if (node.kind === "map") {
        const template = node.config?.node as unknown as NodeDecl | undefined;
        if (!template || typeof template.kind !== "string") return 0;
        const inner = countNode({ ...template, id: `${node.id}.node` });
        const items = staticLength(node.inputs?.items);
        if (items === undefined && inner > 0) unbounded = true;
        return attempts * inner * (items ?? 1);
      }
      if (node.kind === "subflow") {
        const callee = byId.get(String(node.config?.flow ?? ""));
        if (!callee) return 0;
        const inner = countFlow(callee, [...stack, doc.id]);
        if (inner.unbounded) unbounded = true;
        return attempts * inner.count;
      }
      if (spec.effect === "pure") return 0;
      const ledger = runtime && node.idempotencyKey !== undefined ? 2 : 0;
      const budget = budgetBindingOf(node) !== undefined ? BUDGET_SUBREQUESTS : 0;
      return attempts * (1 + ledger + budget);
    };
    for (const node of doc.nodes) count += countNode(node);
    const result = { count, unbounded };
    if (!stack.includes(doc.id)) memo.set(doc.id, result);
    return result;
  };
  return documents.map((doc) => ({ flowId: doc.id, ...countFlow(doc, []) }));
}

/**
 * Reads what the package needs from validated flows. Throws PackageError when two flows declare one binding
 * name differently, or a Durable Object binding names a class the packaged Worker cannot export.
 */
export function analyzeFlows(
  documents: readonly FlowDocument[],
  catalog: KindCatalog,
  declarations: readonly CapabilityDeclaration[],
): FlowsAnalysis {
  const kinds = new Set<string>();
  const bindings: Record<string, BindingDecl> = {};
  const owners: Record<string, string> = {};
  const triggers: TriggerDecl[] = [];
  const routes: FlowsAnalysis["routes"] = [];
  const crons: string[] = [];
  let runtime = false;
  for (const doc of documents) {
    for (const node of doc.nodes) {
      for (const n of nodeAndTemplates(node)) kinds.add(n.kind);
      if (node.idempotencyKey !== undefined) runtime = true;
    }
    for (const [name, decl] of Object.entries(doc.bindings ?? {})) {
      const before = bindings[name];
      if (before && withoutDescription(before) !== withoutDescription(decl)) {
        throw new PackageError(
          "PACKAGE_BINDING_CONFLICT",
          `binding \`${name}\` is declared differently by flows \`${owners[name]}\` and \`${doc.id}\`: one Worker has one binding of a name`,
          { binding: name, flows: [owners[name], doc.id] },
        );
      }
      if (!before) {
        bindings[name] = decl;
        owners[name] = doc.id;
      }
    }
    for (const trigger of doc.triggers) {
      triggers.push(trigger);
      if (trigger.type === "http")
        routes.push({ method: trigger.method, path: trigger.path, flowId: doc.id });
      if (trigger.type === "github") {
        routes.push({ method: "POST", path: trigger.path ?? DEFAULT_GITHUB_PATH, flowId: doc.id });
        runtime = true; // the built-in webhook flow de-duplicates deliveries in the FlowsRuntime ledger
      }
      if (trigger.type === "cron" && !crons.includes(trigger.schedule)) crons.push(trigger.schedule);
      if (trigger.type === "queue") runtime = true;
    }
  }
  // The host consumes the queue of an `ack: queue` GitHub trigger with a built-in flow: the Worker needs that consumer.
  const webhooks = githubWebhookDocuments(documents);
  for (const doc of webhooks) {
    for (const trigger of doc.triggers) if (trigger.type === "queue") triggers.push(trigger);
  }
  // Runs are recorded unless a flow says `runs: { record: none }` (the deployment default of a packaged Worker is
  // the built-in `failed`): the run store is declared when any flow, or a built-in webhook flow, records. A flow
  // with an `onDisconnect: continue` route always records: its runs live in the store's objects.
  const continuing = (d: FlowDocument) =>
    d.triggers.some((t) => t.type === "http" && t.onDisconnect === "continue");
  const recorded = new Set(
    [...documents, ...webhooks]
      .filter((d) => (d.runs?.record ?? "failed") !== "none" || continuing(d))
      .map((d) => d.id),
  );
  const runs = recorded.size > 0;
  const objectClasses = new Set<string>(runtime ? [RUNTIME_CLASS] : []);
  if (runs) objectClasses.add(RUNS_CLASS);
  const githubBudgets = budgetBindings(documents);
  if (githubBudgets.length > 0) objectClasses.add(BUDGET_CLASS);
  for (const [name, decl] of Object.entries(bindings)) {
    if (decl.type !== "durableObject") continue;
    if (decl.className !== STATE_CLASS && decl.className !== RUNTIME_CLASS) {
      throw new PackageError(
        "PACKAGE_UNKNOWN_DO_CLASS",
        `binding \`${name}\` names Durable Object class \`${decl.className}\`; a packaged Worker exports only \`${STATE_CLASS}\` (for do.* nodes) and \`${RUNTIME_CLASS}\``,
        { binding: name, className: decl.className },
      );
    }
    objectClasses.add(decl.className);
  }
  const used = [...kinds];
  const capabilities = declarations.filter((d) => used.some((k) => Object.hasOwn(d.kinds, k)));
  const vars: Record<string, Json> = {};
  const secrets: string[] = [];
  for (const [name, decl] of Object.entries(bindings)) {
    if (decl.type === "var") vars[name] = decl.value;
    if (decl.type === "secret") secrets.push(name);
  }
  // A run that waits gets its events through the run API, which exists only with the admin token.
  const waits = documents.some(
    (d) =>
      isDurable(d) && d.nodes.some((node) => [...nodeAndTemplates(node)].some((n) => n.kind === KIND_WAIT)),
  );
  if (waits && !secrets.includes(ADMIN_TOKEN_BINDING)) secrets.push(ADMIN_TOKEN_BINDING);
  return {
    kinds: used.sort(),
    capabilities,
    bindings,
    triggers,
    runtime,
    runs,
    durable: documents.some(isDurable) || kinds.has(KIND_DURABLE_EVENT),
    githubBudgets,
    objectClasses: [...objectClasses].sort(),
    vars,
    secrets,
    crons,
    routes,
    // A recorded run also calls the run store after it answered (RECORDING_SUBREQUESTS).
    subrequests: countSubrequests(documents, catalog, runtime).map((s) =>
      recorded.has(s.flowId) ? { ...s, count: s.count + RECORDING_SUBREQUESTS } : s,
    ),
  };
}
