/**
 * The Durable Object classes a flows worker module exports (Worker-only: they import `cloudflare:workers`, so
 * they are kept out of `hosts/workers/index.ts`, which also loads in Node). `FlowsRuntime` backs the
 * `FLOWS_RUNTIME` binding (run journal, idempotency ledger); `FlowsState` the `do.*` node kinds; `FlowsRuns` the
 * run store (`FLOWS_RUNS`, impl-docs/runs.md); `FlowsWorkflow` is the Workflow class of durable flows
 * (`FLOWS_WORKFLOW`, impl-docs/durable.md); `FlowsGitHubBudget` the shared GitHub rate budget per installation
 * (`GITHUB_BUDGET`, impl-docs/github.md).
 * @example export { FlowsRuns, FlowsRuntime, FlowsState, FlowsWorkflow } from "flows-runtime/hosts/workers/objects";
 */
export { FlowsRuntime, FlowsState } from "../../capabilities/durable-objects/objects.ts";
export { FlowsGitHubBudget } from "../../capabilities/github/budget/object.ts";
export { FlowsWorkflow } from "./durable/workflow.ts";
export { FlowsRuns, RUNS_MIGRATIONS } from "./runs/object.ts";
