import { app, type Env } from "./hono-github-app.ts";
import { benchEnv } from "./memory-ledger.ts";

/**
 * Bench worker: the hand-written Hono webhook app (`hono-github-app.ts`) with the FlowsRuntime Durable Object
 * ledger, or the in-memory one for requests that send `x-bench-ledger: memory`.
 */
export default {
  fetch: (request: Request, env: Env, ctx: ExecutionContext) =>
    app.fetch(request, benchEnv(request, env), ctx),
};
export { FlowsRuntime } from "../../hosts/workers/objects.ts";
