import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { FlowDocument } from "../../../flows/ir/types.ts";
import { BUILTIN_KINDS, createRegistry, type NodeKind } from "../../../kernel/index.ts";
import { createWorker } from "../index.ts";
import { METRICS_COLUMNS } from "./declaration.ts";

// Run metrics on a local Analytics Engine dataset (FLOWS_METRICS of the test worker, vitest.config.ts): one data
// point per run, with the documented columns, for ok, failed and cancelled runs, and for a run that outlives its
// connection (written by its FlowsRuns object).

const dataset = (env as unknown as { FLOWS_METRICS: AnalyticsEngineDataset }).FLOWS_METRICS;
const METRICS = { FLOWS_METRICS: { type: "analyticsEngine" as const, dataset: "flows_test_runs" } };

/** `hang`: waits until its run is cancelled. */
const hangKind: NodeKind = {
  spec: {
    kind: "test.hang",
    description: "waits for its signal",
    effect: "pure",
    determinism: "strict",
    inputs: {},
    outputs: { out: {} },
    configSchema: { type: "object" },
  },
  run: (ctx) =>
    new Promise((_, reject) =>
      ctx.signal.addEventListener("abort", () => reject(ctx.signal.reason), { once: true }),
    ),
};

const flow = (id: string, nodes: FlowDocument["nodes"], extra: Partial<FlowDocument> = {}): FlowDocument => ({
  flows: 1,
  id,
  version: "2.1.0",
  bindings: METRICS,
  metrics: {},
  triggers: [{ type: "http", method: "POST", path: `/${id}` }],
  nodes,
  ...extra,
});

const worker = createWorker(
  [
    flow("m-ok", [
      { id: "double", kind: "transform", config: { value: "${{ trigger.body.n * 2 }}" } },
      { id: "answer", kind: "respond", inputs: { body: "${{ nodes.double.out }}" } },
    ]),
    flow("m-failed", [{ id: "boom", kind: "fail", config: { code: "BOOM", message: "no", status: 418 } }]),
    flow("m-hang", [{ id: "hang", kind: "test.hang" }]),
    flow("m-tick", [{ id: "tick", kind: "transform", config: { value: 1 } }], {
      triggers: [{ type: "cron", schedule: "*/9 * * * *" }],
    }),
    flow("m-sampled", [{ id: "answer", kind: "respond", inputs: { body: "ok" } }], {
      metrics: { sample: 0 },
    }),
    flow("m-live", [{ id: "answer", kind: "transform", config: { value: "live" } }], {
      triggers: [
        {
          type: "http",
          id: "live",
          method: "POST",
          path: "/m-live",
          response: "sse",
          onDisconnect: "continue",
        },
      ],
      output: "answer",
    }),
    { ...flow("m-none", [{ id: "answer", kind: "respond", inputs: { body: "ok" } }]), metrics: undefined },
  ],
  { registry: createRegistry(BUILTIN_KINDS, hangKind), log: () => {} },
);

let points: Parameters<AnalyticsEngineDataset["writeDataPoint"]>[0][] = [];
const spy = vi.spyOn(dataset, "writeDataPoint").mockImplementation((point) => {
  points.push(point);
});
afterEach(() => {
  points = [];
});

async function post(path: string, body: unknown, signal?: AbortSignal): Promise<Response> {
  const ctx = createExecutionContext();
  const request = new Request(`http://x${path}`, {
    method: "POST",
    body: JSON.stringify(body),
    headers: { "content-type": "application/json" },
    ...(signal ? { signal } : {}),
  });
  const response = await worker.fetch(request, env, ctx);
  await response.arrayBuffer().catch(() => undefined);
  await waitOnExecutionContext(ctx);
  return response;
}

describe("run metrics in Analytics Engine", () => {
  it("writes one data point per run with the documented columns: ok, failed, cancelled and cron runs", async () => {
    expect(METRICS_COLUMNS.blobs.length).toBe(7);
    expect((await post("/m-ok", { n: 21 })).status).toBe(200);
    expect((await post("/m-failed", {})).status).toBe(418);
    const client = new AbortController();
    const hung = post("/m-hang", {}, client.signal);
    await new Promise((resolve) => setTimeout(resolve, 50));
    client.abort();
    await hung.catch(() => undefined);
    await vi.waitFor(() => expect(points).toHaveLength(3));
    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController({ cron: "*/9 * * * *", scheduledTime: 0 }), env, ctx);
    await waitOnExecutionContext(ctx);

    const [ok, failed, cancelled, tick] = points;
    expect(ok).toEqual({
      indexes: ["m-ok"],
      blobs: ["http", "http", "ok", "", "2.1.0", "", expect.any(String)],
      doubles: [expect.any(Number), 2, 0, expect.any(Number), 1],
    });
    expect(failed).toMatchObject({
      indexes: ["m-failed"],
      blobs: ["http", "http", "failed", "BOOM", "2.1.0", "boom", "boom"],
      doubles: [expect.any(Number), 1, 0, expect.any(Number), 1],
    });
    expect(cancelled).toMatchObject({
      indexes: ["m-hang"],
      blobs: ["http", "http", "cancelled", "RUN_CANCELLED", "2.1.0", "hang", "hang"],
    });
    expect(tick).toMatchObject({
      indexes: ["m-tick"],
      blobs: ["cron", "cron", "ok", "", "2.1.0", "", "tick"],
    });
    expect(spy).toHaveBeenCalledTimes(4);
  });

  it("writes the data point of a run that outlives its connection, from the run's own object", async () => {
    const response = await post("/m-live", {});
    expect(response.status).toBe(200);
    await vi.waitFor(() => expect(points).toHaveLength(1));
    expect(points[0]).toMatchObject({
      indexes: ["m-live"],
      blobs: ["http", "live", "ok", "", "2.1.0", "", "answer"],
      doubles: [expect.any(Number), 1, 0, expect.any(Number), 1],
    });
  });

  it("writes nothing for a flow without metrics:, nor for one sampled at 0 that ends ok", async () => {
    expect((await post("/m-none", {})).status).toBe(200);
    expect((await post("/m-sampled", {})).status).toBe(200);
    expect(points).toEqual([]);
  });
});
