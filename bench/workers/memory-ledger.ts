import { memoryRuntimeNamespace } from "../../hosts/workers/memory-runtime.ts";

/**
 * Bench only: the in-memory FlowsRuntime stand-in, to measure the webhook path without the Durable Object and
 * its storage. Both bench workers use it for requests that send `x-bench-ledger: memory`.
 */
export const memoryNamespace = memoryRuntimeNamespace();

/** The env a request runs with: the real bindings, or the in-memory ledger when the request asks for it. */
export const benchEnv = <E extends object>(request: Request, env: E): E =>
  request.headers.get("x-bench-ledger") === "memory" ? { ...env, FLOWS_RUNTIME: memoryNamespace } : env;
