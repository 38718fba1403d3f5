import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FlowDocument } from "../../flows/ir/types.ts";
import { BUILTIN_KINDS, createRegistry, type NodeKind } from "../../kernel/index.ts";
import { createWorker } from "../workers/index.ts";
import { type NodeServer, serveOnNode } from "./index.ts";
import { type LocalBindings, localBindings } from "./platform.ts";

// A kind that uses a real local KV binding, run by the Node host with bindings from wrangler.toml.
const counter: NodeKind = {
  spec: {
    kind: "test.count",
    description: "Increments a KV counter.",
    effect: "write",
    determinism: "best_effort",
    inputs: { key: { required: true } },
    outputs: { out: {} },
    configSchema: { type: "object" },
  },
  run: async (ctx) => {
    const kv = ctx.env.FLOW_KV as KVNamespace;
    const key = String(ctx.inputs.key);
    const next = Number((await kv.get(key)) ?? 0) + 1;
    await kv.put(key, String(next));
    return { out: next };
  },
};

const flow: FlowDocument = {
  flows: 1,
  id: "count",
  version: "1.0.0",
  triggers: [{ type: "http", method: "POST", path: "/count" }],
  nodes: [
    { id: "bump", kind: "test.count", inputs: { key: "node-host-test:${{ trigger.body.name }}" } },
    { id: "reply", kind: "respond", inputs: { body: { count: "${{ nodes.bump.out }}" } } },
  ],
};

let bindings: LocalBindings;
let server: NodeServer;

beforeAll(async () => {
  bindings = await localBindings("wrangler.toml", false);
  const worker = createWorker([flow], { registry: createRegistry(BUILTIN_KINDS, counter), log: () => {} });
  server = await serveOnNode(worker, { port: 0, env: bindings.env });
}, 60_000);

afterAll(async () => {
  await server?.close();
  await bindings?.dispose();
});

describe("Node host with wrangler's local bindings", () => {
  it("runs a flow against the real local KV of wrangler.toml", async () => {
    const post = () =>
      fetch(`${server.url}/count`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ name: "a" }),
      }).then((r) => r.json());
    expect(await post()).toEqual({ count: 1 });
    expect(await post()).toEqual({ count: 2 });
    const kv = (bindings.env as { FLOW_KV: KVNamespace }).FLOW_KV;
    expect(await kv.get("node-host-test:a")).toBe("2");
  });
});
