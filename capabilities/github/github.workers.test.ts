import { env } from "cloudflare:workers";
import { githubConformance } from "./conformance.ts";

githubConformance("workerd, local KV", () => (env as unknown as { FLOW_KV: KVNamespace }).FLOW_KV);
