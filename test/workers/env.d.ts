// Bindings and exports of the root wrangler.toml, as seen by `import { env, exports } from "cloudflare:workers"`.
declare namespace Cloudflare {
  interface Env {
    FLOW_KV: KVNamespace;
    FLOW_BUCKET: R2Bucket;
    FLOW_QUEUE: Queue<unknown>;
  }
  interface Exports {
    default: { fetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> };
  }
}
