// Bindings and exports of the root wrangler.toml, as seen by `import { env, exports } from "cloudflare:workers"`.
declare namespace Cloudflare {
  interface Env {
    FLOW_KV: KVNamespace;
    FLOW_BUCKET: R2Bucket;
    FLOW_QUEUE: Queue<unknown>;
    FLOWS_RUNTIME: DurableObjectNamespace<
      import("../../capabilities/durable-objects/objects.ts").FlowsRuntime
    >;
    FLOW_STATE: DurableObjectNamespace<import("../../capabilities/durable-objects/objects.ts").FlowsState>;
    FLOWS_RUNS: DurableObjectNamespace<import("../../hosts/workers/runs/object.ts").FlowsRuns>;
    GITHUB_BUDGET: DurableObjectNamespace<
      import("../../capabilities/github/budget/object.ts").FlowsGitHubBudget
    >;
  }
  interface Exports {
    default: { fetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> };
  }
}
