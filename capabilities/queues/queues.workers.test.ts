import { env } from "cloudflare:workers";
import { queuesConformance } from "./conformance.ts";

// The Queues conformance suite against the real local queue producer of wrangler.toml.
queuesConformance("local workerd binding", () => ({ FLOW_QUEUE: env.FLOW_QUEUE }));
