/**
 * The Durable Object classes a flows worker module exports (Worker-only: they import `cloudflare:workers`, so
 * they are kept out of `hosts/workers/index.ts`, which also loads in Node). `FlowsRuntime` backs the
 * `FLOWS_RUNTIME` binding (run journal, idempotency ledger); `FlowsState` the `do.*` node kinds.
 * @example export { FlowsRuntime, FlowsState } from "flows-runtime/hosts/workers/objects";
 */
export { FlowsRuntime, FlowsState } from "../../capabilities/durable-objects/objects.ts";
