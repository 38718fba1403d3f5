import type { Determinism, Effect, FlowDocument } from "../flows/ir/types.ts";
import type { KindRegistry } from "./kinds/types.ts";
import { createPlan, type ExecutionPlan, type PlannedNode, type PlanOptions } from "./plan.ts";

/**
 * A plan that is compiled when it is first read (a run starts, a host asks for its nodes), not when it is made.
 * A Worker serving many flows makes one per flow at start-up, and a cold isolate then compiles only the flows its
 * requests run, instead of every flow's expressions before its first answer. A document `createPlan` rejects
 * throws its FlowError (UNKNOWN_KIND, PLAN_INVALID) on that first read, and on every read after it; the validator
 * reports the same problems with positions before a flow is deployed.
 * @example const plan = deferPlan(doc, { registry }); // nothing compiled yet
 * await runFlow(plan, { trigger }); // compiled here, once
 */
export function deferPlan(doc: FlowDocument, options: PlanOptions = {}): ExecutionPlan {
  return Object.freeze(new DeferredPlan(doc, options));
}

/**
 * The compiled plan behind `plan` (itself when it is not deferred): a run reads its plan's fields many times per
 * node, and reads them from this, once resolved, rather than through the deferred plan's getters.
 */
export function resolvePlan(plan: ExecutionPlan): ExecutionPlan {
  return plan instanceof DeferredPlan ? plan.compiled : plan;
}

class DeferredPlan implements ExecutionPlan {
  readonly flowId: string;
  readonly version: string;
  #doc: FlowDocument;
  #options: PlanOptions;
  #plan: ExecutionPlan | undefined;
  #error: unknown;

  constructor(doc: FlowDocument, options: PlanOptions) {
    this.flowId = doc.id;
    this.version = doc.version;
    this.#doc = doc;
    this.#options = options;
  }

  get compiled(): ExecutionPlan {
    return this.#compiled;
  }

  get #compiled(): ExecutionPlan {
    if (this.#plan) return this.#plan;
    if (this.#error !== undefined) throw this.#error;
    try {
      this.#plan = createPlan(this.#doc, this.#options);
      return this.#plan;
    } catch (error) {
      this.#error = error;
      throw error;
    }
  }

  get nodes(): readonly PlannedNode[] {
    return this.#compiled.nodes;
  }
  get indexById(): ReadonlyMap<string, number> {
    return this.#compiled.indexById;
  }
  get roots(): readonly number[] {
    return this.#compiled.roots;
  }
  get waitCounts(): readonly number[] {
    return this.#compiled.waitCounts;
  }
  get zeros(): readonly number[] {
    return this.#compiled.zeros;
  }
  get timeZeros(): readonly number[] {
    return this.#compiled.timeZeros;
  }
  get outputCandidates(): readonly number[] {
    return this.#compiled.outputCandidates;
  }
  get outputIsResponse(): boolean {
    return this.#compiled.outputIsResponse;
  }
  get deadlineMs(): number {
    return this.#compiled.deadlineMs;
  }
  get vars(): Readonly<Record<string, unknown>> {
    return this.#compiled.vars;
  }
  get effect(): Effect {
    return this.#compiled.effect;
  }
  get determinism(): Determinism {
    return this.#compiled.determinism;
  }
  get registry(): KindRegistry {
    return this.#compiled.registry;
  }
}
