import { MemoryLedger } from "../../kernel/index.ts";

/**
 * Bench only: a stand-in for the FlowsRuntime namespace whose stubs claim in one in-memory ledger, to measure
 * the webhook path without the Durable Object and its storage. Both bench workers use it for requests that send
 * `x-bench-ledger: memory`.
 */
const ledger = new MemoryLedger();
const stub = {
  claim: async (key: string, ttlMs: number, leaseMs?: number) => ledger.claim(key, ttlMs, leaseMs),
  complete: async (key: string, result: Record<string, unknown>) => ledger.complete(key, result),
  release: async (key: string) => ledger.release(key),
  // FlowsRuntime.record: claim and complete in one call when the key is free.
  record: async (key: string, ttlMs: number, result: Record<string, unknown>) => {
    const claim = ledger.claim(key, ttlMs);
    if (claim.state === "new") ledger.complete(key, result);
    return claim;
  },
};
export const memoryNamespace = {
  idFromName: (name: string) => ({ name }) as unknown as DurableObjectId,
  get: () => stub,
};

/** The env a request runs with: the real bindings, or the in-memory ledger when the request asks for it. */
export const benchEnv = <E extends object>(request: Request, env: E): E =>
  request.headers.get("x-bench-ledger") === "memory" ? { ...env, FLOWS_RUNTIME: memoryNamespace } : env;
