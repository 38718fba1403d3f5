import { describe, expect, it } from "vitest";
import type { FlowDocument } from "../../flows/index.ts";
import { createPlan } from "../../kernel/index.ts";
import { neededBindingTypes, runBindings, wranglerConfigFor } from "./bindings.ts";
import { allKinds } from "./load.ts";

const doc = (nodes: FlowDocument["nodes"], bindings: FlowDocument["bindings"] = {}): FlowDocument => ({
  flows: 1,
  id: "b",
  version: "1.0.0",
  bindings,
  triggers: [],
  nodes,
});

describe("bindings of a local run", () => {
  it("starts nothing for a flow whose kinds need no binding: env is its vars and the secrets set in the environment", async () => {
    const flow = doc([{ id: "a", kind: "transform", inputs: { x: 1 } }], {
      CURRENCY: { type: "var", value: "EUR" },
      TOKEN: { type: "secret" },
      OTHER: { type: "secret" },
      CACHE: { type: "kv" },
    });
    const plan = createPlan(flow, { registry: allKinds() });
    expect(neededBindingTypes(plan).size).toBe(0);
    const bindings = await runBindings(flow, plan, { environment: { TOKEN: "t0ken" } });
    expect(bindings.local).toBe(false);
    expect(bindings.env).toEqual({ CURRENCY: "EUR", TOKEN: "t0ken" });
    await bindings.dispose();
  });

  it("counts the needs of map templates", () => {
    const flow = doc(
      [
        {
          id: "m",
          kind: "map",
          inputs: { items: [1] },
          config: { node: { kind: "kv.get", inputs: { key: "k" } } },
        },
      ],
      { CACHE: { type: "kv" } },
    );
    expect([...neededBindingTypes(createPlan(flow, { registry: allKinds() }))]).toEqual(["kv"]);
  });

  it("writes the capabilities' own wrangler entries, without queue consumers or Durable Objects", () => {
    const flow = doc([{ id: "a", kind: "transform" }], {
      CACHE: { type: "kv" },
      FILES: { type: "r2", bucket: "files" },
      JOBS: { type: "queue", queue: "jobs" },
    });
    expect(wranglerConfigFor({ ...flow, triggers: [{ type: "queue", queue: "jobs" }] })).toEqual({
      name: "flows-run-b",
      compatibility_date: "2026-11-01",
      compatibility_flags: ["enable_request_signal"],
      kv_namespaces: [{ binding: "CACHE", id: "cache" }],
      r2_buckets: [{ binding: "FILES", bucket_name: "files" }],
      queues: { producers: [{ binding: "JOBS", queue: "jobs" }] },
    });
  });
});
