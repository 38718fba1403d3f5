import type { ExecutionPlan, RunOptions, RunResult } from "../../../kernel/index.ts";
import type { RunStore } from "../runs/store.ts";
import type { WaitNotes } from "./waits.ts";

/**
 * The durable flows of this Worker module, by flow id: `createWorker` registers them, and the `FlowsWorkflow`
 * instance that runs one (in whichever isolate the platform starts it) finds its plan and run options here.
 */
export interface DurableFlow {
  readonly plan: ExecutionPlan;
  readonly flowVersion: string;
  /** The run options of the Worker's host (bindings, plans, ledger…) for this `env`. */
  runOptions(env: object): RunOptions;
  /** Called once per instance run that ended (the run's log line, its metrics). */
  onDone(result: RunResult, trigger: { type: string; id: string }, env: object): void;
  /** Where the run notes its sleeps and waits (the run store's `run:<id>` object), when the store is bound. */
  waitNotes(env: object, runId: string): WaitNotes | undefined;
  /** Where the run's record goes (`./history.ts`): the run store, unless it is not bound or the flow records none. */
  history(env: object): { store: RunStore; retentionMs: number; maxRuns: number } | undefined;
}

const REGISTRY = new Map<string, DurableFlow>();

export function registerDurableFlow(flowId: string, flow: DurableFlow): void {
  REGISTRY.set(flowId, flow);
}

export function durableFlow(flowId: string): DurableFlow | undefined {
  return REGISTRY.get(flowId);
}
