import { serve } from "@hono/node-server";
import { NODE_KINDS, serveOnNode } from "../../hosts/node/index.ts";
import { GITHUB_TRIGGERS } from "../../hosts/workers/github.ts";
import { createWorker } from "../../hosts/workers/worker.ts";
import { BUILTIN_KINDS, createRegistry } from "../../kernel/index.ts";
import { githubFlows } from "../workers/github-flows.ts";
import { app } from "../workers/hono-github-app.ts";
import { memoryNamespace } from "../workers/memory-ledger.ts";

/**
 * Child process for `bench/worker-cost.ts`: the webhook on Node, on 127.0.0.1 (a free port, sent to the parent
 * over IPC), with the in-memory ledger (Probot, its peer, does not de-duplicate deliveries).
 * `BENCH_NODE_TARGET=flows`: the flows Node host (`serveOnNode`, `@hono/node-server`, `NODE_KINDS`: the signature
 * checked with node:crypto, as Probot does) serving `githubFlows`;
 * `BENCH_NODE_TARGET=hono`: the hand-written Hono app behind `@hono/node-server`.
 * The process ends by itself when the parent goes away or after `BOUND_MS`.
 */

const SECRET = process.env.BENCH_WEBHOOK_SECRET ?? "bench-webhook-secret";
const BOUND_MS = 15 * 60_000;
const env = { GITHUB_WEBHOOK_SECRET: SECRET, FLOWS_RUNTIME: memoryNamespace };

async function listen(): Promise<number> {
  if (process.env.BENCH_NODE_TARGET === "flows") {
    const worker = createWorker(githubFlows, {
      registry: createRegistry(BUILTIN_KINDS, NODE_KINDS),
      github: GITHUB_TRIGGERS,
      log: () => {},
    });
    const server = await serveOnNode(worker, { port: 0, env });
    return Number(new URL(server.url).port);
  }
  if (process.env.BENCH_NODE_TARGET === "hono") {
    return new Promise((resolve) => {
      serve(
        { fetch: (request: Request) => app.fetch(request, env), port: 0, hostname: "127.0.0.1" },
        (info) => resolve(info.port),
      );
    });
  }
  throw new Error(`BENCH_NODE_TARGET must be flows or hono, not ${process.env.BENCH_NODE_TARGET}`);
}

const port = await listen();
process.on("disconnect", () => process.exit(0));
setTimeout(() => process.exit(0), BOUND_MS).unref();
process.send?.({ port });
