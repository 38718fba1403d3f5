import { env } from "cloudflare:workers";
import { kvConformance } from "./conformance.ts";

// The KV conformance suite against the real local KV namespace of wrangler.toml.
kvConformance("local workerd binding", () => ({ FLOW_KV: env.FLOW_KV }));
