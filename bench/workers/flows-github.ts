import { waitUntil } from "cloudflare:workers";
import { ALL_CAPABILITY_KINDS } from "../../capabilities/index.ts";
import { GITHUB_TRIGGERS } from "../../hosts/workers/github.ts";
import { createWorker } from "../../hosts/workers/worker.ts";
import { BUILTIN_KINDS, createRegistry } from "../../kernel/index.ts";
import { githubFlows } from "./github-flows.ts";
import { benchEnv } from "./memory-ledger.ts";

/**
 * Bench worker for `bench/worker-cost.ts` and `bench/github.ts`: the flows Workers host serving `githubFlows`
 * (the built-in webhook flow routing `issues.opened` to a one-node user flow), with the FlowsRuntime Durable
 * Object ledger, or the in-memory one for requests that send `x-bench-ledger: memory`. Built as a packaged Worker
 * is (`hosts/workers/worker.ts` given `GITHUB_TRIGGERS` and the platform's `waitUntil`, no run viewer).
 */
const worker = createWorker(githubFlows, {
  registry: createRegistry(BUILTIN_KINDS, ALL_CAPABILITY_KINDS),
  github: GITHUB_TRIGGERS,
  waitUntil,
  log: () => {},
});

export default {
  fetch: (request: Request, env: object, ctx: ExecutionContext) =>
    worker.fetch(request, benchEnv(request, env), ctx),
};
export { FlowsRuntime } from "../../hosts/workers/objects.ts";
