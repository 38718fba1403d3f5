// The Node host, as a user's script or test would use it.

import { type NodeServer, serveOnNode } from "flows-runtime/hosts/node";
import { createWorker } from "flows-runtime/hosts/workers";

export async function serve(): Promise<NodeServer> {
  return serveOnNode(createWorker([]), { port: 0, env: { GREETING: "hi" } });
}
