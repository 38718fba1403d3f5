import { MemoryLedger } from "../../kernel/index.ts";

/**
 * A stand-in for the `FLOWS_RUNTIME` Durable Object namespace whose every stub claims in one in-memory ledger
 * (claim, complete, release, and `record`: claim and complete in one call when the key is free), for tests and
 * benchmarks of the webhook path without Durable Objects. One isolate's memory: nothing survives it, so never a
 * deployment's ledger.
 * @example createWorker(flows, { github: GITHUB_TRIGGERS }).fetch(request, { FLOWS_RUNTIME: memoryRuntimeNamespace() })
 */
export function memoryRuntimeNamespace(ledger: MemoryLedger = new MemoryLedger()) {
  const stub = {
    claim: async (key: string, ttlMs: number, leaseMs?: number) => ledger.claim(key, ttlMs, leaseMs),
    complete: async (key: string, result: Record<string, unknown>) => ledger.complete(key, result),
    release: async (key: string) => ledger.release(key),
    record: async (key: string, ttlMs: number, result: Record<string, unknown>) => {
      const claim = ledger.claim(key, ttlMs);
      if (claim.state === "new") ledger.complete(key, result);
      return claim;
    },
  };
  return {
    idFromName: (name: string) => ({ name }) as unknown as DurableObjectId,
    get: () => stub,
  };
}
