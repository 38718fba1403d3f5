// Bindings of the root wrangler.toml, as seen by `import { env } from "cloudflare:workers"` in Workers tests.
declare namespace Cloudflare {
  interface Env {
    FLOW_KV: KVNamespace;
    FLOW_BUCKET: R2Bucket;
    FLOW_QUEUE: Queue<unknown>;
  }
}
