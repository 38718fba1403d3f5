import { waitUntil } from "cloudflare:workers";
import { GITHUB_TRIGGERS } from "../../hosts/workers/github.ts";
import { createWorker } from "../../hosts/workers/worker.ts";
import { BUILTIN_KINDS } from "../../kernel/kinds/builtins.ts";
import { createRegistry } from "../../kernel/kinds/registry.ts";
import { githubFlows } from "./github-flows.ts";
import { benchEnv } from "./memory-ledger.ts";

/**
 * Bench worker for `bench/worker-cost.ts` and `bench/github.ts`: the flows Workers host serving `githubFlows`
 * (the built-in webhook flow routing `issues.opened` to a one-node user flow), with the FlowsRuntime Durable
 * Object ledger, or the in-memory one for requests that send `x-bench-ledger: memory`. It imports what the entry
 * that `flows package workers` generates for these flows imports (`flows-github.test.ts` checks it): the host's
 * `createWorker`, the built-in kinds (the flows use no capability kind), `GITHUB_TRIGGERS`, the platform's `waitUntil`, no run viewer.
 */
const worker = createWorker(githubFlows, {
  registry: createRegistry(BUILTIN_KINDS),
  github: GITHUB_TRIGGERS,
  waitUntil,
  log: () => {},
});

export default {
  fetch: (request: Request, env: object, ctx: ExecutionContext) =>
    worker.fetch(request, benchEnv(request, env), ctx),
};
export { FlowsRuns, FlowsRuntime } from "../../hosts/workers/objects.ts";
