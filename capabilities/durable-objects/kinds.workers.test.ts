import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { FlowDocument, NodeDecl } from "../../flows/ir/types.ts";
import { BUILTIN_KINDS, createPlan, createRegistry, type RunResult, runFlow } from "../../kernel/index.ts";
import { DO_KINDS } from "./index.ts";

// Conformance of the `do.*` kinds against the real local Durable Object (FlowsState bound as FLOW_STATE).

const registry = createRegistry(BUILTIN_KINDS, DO_KINDS);
const silent = { log: () => {} };

function flowOf(nodes: NodeDecl[], binding = "FLOW_STATE"): FlowDocument {
  return {
    flows: 1,
    id: "do-test",
    version: "1.0.0",
    bindings: { [binding]: { type: "durableObject", className: "FlowsState" } },
    triggers: [{ type: "http", method: "POST", path: "/t" }],
    nodes,
  };
}

/** Runs one node of `kind` with these inputs; returns its outputs. */
async function runNode(
  kind: string,
  inputs: Record<string, unknown>,
  extra: Partial<NodeDecl> = {},
  runEnv: object = env,
): Promise<RunResult & { outputs?: Record<string, unknown> }> {
  const node = { id: "n", kind, inputs: { ...inputs }, ...extra } as NodeDecl;
  const plan = createPlan(flowOf([node]), { registry });
  let outputs: Record<string, unknown> | undefined;
  const result = await runFlow(plan, {
    env: runEnv as Record<string, unknown>,
    logger: silent,
    onEvent: (e) => {
      if (e.type === "node.output") outputs = e.outputs as Record<string, unknown>;
    },
  });
  return Object.assign(result, { outputs });
}

const objectName = (): string => `test:${crypto.randomUUID()}`;

describe("do.* kinds on a real Durable Object", () => {
  it("do.get gives null for a missing key", async () => {
    const r = await runNode("do.get", { object: objectName(), key: "missing" });
    expect(r.status).toBe("ok");
    expect(r.outputs).toEqual({ out: null });
  });

  it("do.put stores JSON that do.get reads back; do.delete says whether the key existed", async () => {
    const object = objectName();
    const value = { a: [1, "two", null], b: { c: true } };
    expect((await runNode("do.put", { object, key: "k", value })).outputs).toEqual({ out: "k" });
    expect((await runNode("do.get", { object, key: "k" })).outputs).toEqual({ out: value });
    expect((await runNode("do.get", { object: objectName(), key: "k" })).outputs).toEqual({ out: null });
    expect((await runNode("do.delete", { object, key: "k" })).outputs).toEqual({ out: true });
    expect((await runNode("do.delete", { object, key: "k" })).outputs).toEqual({ out: false });
    expect((await runNode("do.get", { object, key: "k" })).outputs).toEqual({ out: null });
  });

  it("keeps binary values, alone and inside objects", async () => {
    const object = objectName();
    const bytes = new Uint8Array([0, 1, 2, 253, 254, 255]);
    const stub = env.FLOW_STATE.get(env.FLOW_STATE.idFromName(object));
    await stub.put("bin", bytes);
    await stub.put("nested", { name: "x", data: bytes });
    const got = (await runNode("do.get", { object, key: "bin" })).outputs?.out;
    expect(got).toBeInstanceOf(Uint8Array);
    expect([...(got as Uint8Array)]).toEqual([...bytes]);
    const nested = (await runNode("do.get", { object, key: "nested" })).outputs?.out as { data: Uint8Array };
    expect([...nested.data]).toEqual([...bytes]);
  });

  it("do.increment serialises concurrent increments: 50 runs at once give 1..50 and end at 50", async () => {
    const object = objectName();
    const results = await Promise.all(
      Array.from({ length: 50 }, () => runNode("do.increment", { object, key: "count" })),
    );
    const values = results.map((r) => r.outputs?.out as number).sort((a, b) => a - b);
    expect(values).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect((await runNode("do.get", { object, key: "count" })).outputs).toEqual({ out: 50 });
    expect((await runNode("do.increment", { object, key: "count", by: -10 })).outputs).toEqual({ out: 40 });
  });

  it("do.increment with an idempotency key is applied once, even when the node runs again", async () => {
    const object = objectName();
    const node = { idempotencyKey: "${{ 'op-1' }}" };
    const first = await runNode("do.increment", { object, key: "c", by: 5 }, node);
    const again = await runNode("do.increment", { object, key: "c", by: 5 }, node);
    expect(first.outputs).toEqual({ out: 5 });
    expect(again.outputs).toEqual({ out: 5 });
    expect((await runNode("do.get", { object, key: "c" })).outputs).toEqual({ out: 5 });
  });

  it("do.increment refuses a value that is not a number, and a `by` that is not one", async () => {
    const object = objectName();
    await runNode("do.put", { object, key: "s", value: "text" });
    const r = await runNode("do.increment", { object, key: "s" });
    expect(r.error?.code).toBe("DO_FAILED");
    expect(r.error?.retriable).toBe(false);
    expect(r.error?.message).toContain("the value under `s` is not a number, it cannot be incremented");
    const bad = await runNode("do.increment", { object, key: "n", by: "2" });
    expect(bad.error?.code).toBe("NODE_INPUT_INVALID");
    expect(bad.error?.message).toBe("node `n`: input `by` must be a finite number, got a string");
  });

  it("do.call sends a request to the named object and gives its status and body", async () => {
    const object = objectName();
    const put = await runNode("do.call", { object, method: "PUT", path: "/greeting", body: { hi: 1 } });
    expect(put.outputs).toEqual({ status: 200, body: { ok: true } });
    expect((await runNode("do.call", { object, path: "/greeting" })).outputs).toEqual({
      status: 200,
      body: { hi: 1 },
    });
    expect((await runNode("do.call", { object, method: "POST", path: "/n/increment" })).outputs).toEqual({
      status: 200,
      body: { value: 1 },
    });
    expect((await runNode("do.call", { object, path: "/nothing" })).outputs).toEqual({
      status: 404,
      body: { error: "not found" },
    });
  });

  it("fails with BINDING_MISSING, saying how to declare the binding, when env lacks it", async () => {
    const r = await runNode("do.get", { object: "x", key: "k" }, {}, {});
    expect(r.status).toBe("failed");
    expect(r.error?.code).toBe("BINDING_MISSING");
    expect(r.error?.message).toBe(
      'binding `FLOW_STATE` is missing from env: add a durable_objects binding with name = "FLOW_STATE" and class_name = "FlowsState" to wrangler.toml',
    );
    expect(r.error?.status).toBe(500);
    expect(r.error?.expose).toBe(false);
    expect(r.error?.retriable).toBe(false);
  });

  it("rejects an empty object name", async () => {
    const r = await runNode("do.get", { object: "", key: "k" });
    expect(r.error?.code).toBe("NODE_INPUT_INVALID");
  });
});
