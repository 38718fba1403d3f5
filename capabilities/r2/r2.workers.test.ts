import { env } from "cloudflare:workers";
import { r2Conformance } from "./conformance.ts";

// The R2 conformance suite against the real local R2 bucket of wrangler.toml.
r2Conformance("local workerd binding", () => ({ FLOW_BUCKET: env.FLOW_BUCKET }));
