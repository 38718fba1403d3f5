import { describe, expect, it } from "vitest";
import type { FlowDocument } from "../../flows/ir/types.ts";
import { createWorker } from "./index.ts";

const echoParams = (id: string, method: "GET" | "POST", path: string): FlowDocument => ({
  flows: 1,
  id,
  version: "1.0.0",
  triggers: [{ type: "http", method, path }],
  nodes: [{ id: "reply", kind: "respond", inputs: { body: { flow: id, params: "${{ trigger.params }}" } } }],
});

describe("one handler per route path", () => {
  // Two methods on one path shape whose flows name its parameter differently: each flow gets its own names.
  const worker = createWorker(
    [
      echoParams("read", "GET", "/items/:id"),
      echoParams("write", "POST", "/items/:key"),
      echoParams("plain", "GET", "/plain"),
    ],
    { log: () => {} },
  );
  const request = (method: string, path: string) =>
    worker.app.fetch(new Request(`http://x${path}`, { method }), {});

  it("gives each method's flow the path's values under its own parameter names", async () => {
    const read = await request("GET", "/items/42");
    expect(await read.json()).toEqual({ flow: "read", params: { id: "42" } });
    const write = await request("POST", "/items/42");
    expect(await write.json()).toEqual({ flow: "write", params: { key: "42" } });
    expect(await (await request("GET", "/plain")).json()).toEqual({ flow: "plain", params: {} });
  });

  it("answers another method with 405, the path's methods in Allow, and the run id of the envelope", async () => {
    const refused = await request("DELETE", "/items/42");
    expect(refused.status).toBe(405);
    expect(refused.headers.get("allow")).toBe("GET, POST");
    const body = (await refused.json()) as { error: { code: string; runId: string } };
    expect(body.error.code).toBe("METHOD_NOT_ALLOWED");
    expect(refused.headers.get("x-flow-run-id")).toBe(body.error.runId);
    expect((await request("HEAD", "/items/1")).status).toBe(200);
  });
});
