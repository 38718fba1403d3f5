/**
 * The Durable Object classes a flows worker module exports (Worker-only: they import `cloudflare:workers`, so
 * they are kept out of `hosts/workers/index.ts`, which also loads in Node). `FlowsRuntime` backs the
 * `FLOWS_RUNTIME` binding (run journal, idempotency ledger); `FlowsState` the `do.*` node kinds; `FlowsRuns` the
 * run store (`FLOWS_RUNS`, impl-docs/runs.md).
 * @example export { FlowsRuns, FlowsRuntime, FlowsState } from "flows-runtime/hosts/workers/objects";
 */
export { FlowsRuntime, FlowsState } from "../../capabilities/durable-objects/objects.ts";
export { FlowsRuns, RUNS_MIGRATIONS } from "./runs/object.ts";
