/**
 * The Durable Object classes (Worker-only: they import `cloudflare:workers`). A worker module must export the
 * classes its wrangler config binds: `export { FlowsRuntime, FlowsState } from "flows/capabilities/durable-objects/objects"`.
 */
export { DEFAULT_JOURNAL_TTL_MS, FlowsRuntime, RUNTIME_MIGRATIONS } from "./runtime-object.ts";
export { FlowsState, NotANumberError, STATE_MIGRATIONS } from "./state-object.ts";
