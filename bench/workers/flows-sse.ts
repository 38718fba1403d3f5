import type { FlowDocument } from "../../flows/ir/types.ts";
import { createWorker } from "../../hosts/workers/index.ts";
import { BUILTIN_KINDS, createRegistry, type NodeKind } from "../../kernel/index.ts";

/**
 * Bench worker for `bench/sse.ts`: the flows runtime serving two SSE flows.
 * - `GET /stream?n=N`: one streaming node yielding N chunks `{ i }` as fast as it can;
 * - `GET /hang`: one node that waits for its signal and records `Date.now()` when it aborts (default heartbeat);
 * - `GET /hang-hb20`: the same flow on a worker whose SSE heartbeat is 20 ms. Local workerd notices a client
 *   disconnect only when the worker next writes to the response, so an idle stream's cancel latency is bounded
 *   by the heartbeat: this route shows the latency once a write happens;
 * - `GET /probe/:runId`: the recorded abort time of a run (404 until it is recorded).
 */

const abortedAt = new Map<string, number>();

const burst: NodeKind = {
  spec: {
    kind: "bench.burst",
    description: "Yields `count` chunks `{ i }` back to back, without sleeping.",
    effect: "pure",
    determinism: "strict",
    inputs: { count: { required: true } },
    outputs: { out: {} },
    configSchema: { type: "object" },
  },
  run: (ctx) =>
    (async function* () {
      const count = Number(ctx.inputs.count);
      for (let i = 0; i < count; i++) yield { i };
    })(),
};

const hang: NodeKind = {
  spec: {
    kind: "bench.hang",
    description: "Waits until its signal aborts, then records the time under the run id.",
    effect: "pure",
    determinism: "strict",
    inputs: {},
    outputs: { out: {} },
    configSchema: { type: "object" },
  },
  run: (ctx) =>
    new Promise((_, reject) => {
      ctx.signal.addEventListener(
        "abort",
        () => {
          if (abortedAt.size > 1_000) abortedAt.clear();
          abortedAt.set(ctx.runId, Date.now());
          reject(ctx.signal.reason);
        },
        { once: true },
      );
    }),
};

const flows: FlowDocument[] = [
  {
    flows: 1,
    id: "bench-stream",
    version: "1.0.0",
    triggers: [{ type: "http", method: "GET", path: "/stream", response: "sse" }],
    nodes: [{ id: "burst", kind: "bench.burst", inputs: { count: "${{ int(trigger.query.n) }}" } }],
  },
  {
    flows: 1,
    id: "bench-hang",
    version: "1.0.0",
    triggers: [{ type: "http", method: "GET", path: "/hang", response: "sse" }],
    nodes: [{ id: "wait", kind: "bench.hang", timeout: "60s" }],
  },
  {
    flows: 1,
    id: "bench-hang-hb20",
    version: "1.0.0",
    triggers: [{ type: "http", method: "GET", path: "/hang-hb20", response: "sse" }],
    nodes: [{ id: "wait", kind: "bench.hang", timeout: "60s" }],
  },
];

const registry = createRegistry(BUILTIN_KINDS, burst, hang);
const worker = createWorker(flows, { registry, log: () => {} });
const fastHeartbeat = createWorker(flows, { registry, heartbeatMs: 20, log: () => {} });

worker.app.get("/probe/:runId", (c) => {
  const at = abortedAt.get(c.req.param("runId"));
  return at === undefined ? c.json({ found: false }, 404) : c.json({ found: true, abortedAt: at });
});

const handler: ExportedHandler<object> = {
  fetch: (request, env, ctx) =>
    new URL(request.url).pathname === "/hang-hb20"
      ? fastHeartbeat.fetch(request, env, ctx)
      : worker.fetch(request, env, ctx),
};

export default handler;
