import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import type { Bindings, FlowsWorker } from "../workers/index.ts";

export interface NodeServeOptions {
  /** Port on 127.0.0.1; 0 picks a free one. Default 8787. */
  port?: number;
  hostname?: string;
  /** What flows see as `env` (vars, secrets, in-memory bindings). */
  env?: Bindings;
}

export interface NodeServer {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Serves a flows worker's HTTP routes from Node (local use, tests, tools): the same Hono app as on Workers.
 * A client that disconnects aborts the request signal, which cancels its run, as on Workers.
 * @example const server = await serveOnNode(createWorker(flows), { port: 0 }); await fetch(`${server.url}/echo`)
 */
export function serveOnNode(worker: FlowsWorker, options: NodeServeOptions = {}): Promise<NodeServer> {
  const hostname = options.hostname ?? "127.0.0.1";
  const env = options.env ?? {};
  return new Promise((resolve, reject) => {
    const server = serve(
      { fetch: (request: Request) => worker.app.fetch(request, env), port: options.port ?? 8787, hostname },
      (info: AddressInfo) => {
        resolve({
          url: `http://${hostname}:${info.port}`,
          close: () =>
            new Promise<void>((done, fail) => {
              server.close((error?: Error) => (error ? fail(error) : done()));
            }),
        });
      },
    );
    server.once("error", reject);
  });
}
export { type LocalBindings, localBindings } from "./platform.ts";
export { NODE_KINDS, nodeWebhookSignature } from "./webhook-signature.ts";
