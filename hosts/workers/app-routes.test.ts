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

/** POSTs JSON bodies to one path of `worker`. */
const postTo = (worker: ReturnType<typeof createWorker>, path: string) => (body: unknown) =>
  worker.app.fetch(
    new Request(`http://x${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    }),
    {},
  );

describe("a run that ends without its answer", () => {
  const lookup: FlowDocument = {
    flows: 1,
    id: "lookup",
    version: "1.0.0",
    triggers: [{ type: "http", method: "POST", path: "/lookup" }],
    nodes: [
      {
        id: "find",
        kind: "transform",
        when: "trigger.body.known",
        inputs: { name: "${{ trigger.body.name }}" },
      },
      { id: "reply", kind: "respond", inputs: { body: "${{ nodes.find.out }}" } },
    ],
  };
  const lines: Record<string, unknown>[] = [];
  const worker = createWorker([lookup], { log: (line) => lines.push(line) });
  const post = postTo(worker, "/lookup");

  it("answers 500 NO_RESPONSE saying which `when` skipped the respond node, not 200 null", async () => {
    const skipped = await post({ known: false, name: "x" });
    expect(skipped.status).toBe(500);
    const { error } = (await skipped.json()) as {
      error: { code: string; message: string; details: unknown; runId: string };
    };
    expect(error.code).toBe("NO_RESPONSE");
    expect(error.message).toBe(
      "the run ended without a response: its output node `reply` was skipped. `reply` reads `find`, which was skipped; `find`'s `when` was false",
    );
    expect(error.details).toEqual({
      skipped: {
        reply: [
          { nodeId: "reply", reason: "dependency", source: "find" },
          { nodeId: "find", reason: "when" },
        ],
      },
    });
    expect(skipped.headers.get("x-flow-run-id")).toBe(error.runId);
    // The run line says it too: ok, but a warning, with the skipped nodes apart from the ones that ran.
    expect(lines.at(-1)).toMatchObject({
      level: "warn",
      status: "ok",
      runId: error.runId,
      nodes: {},
      skipped: ["find", "reply"],
      noOutput:
        "its output node `reply` was skipped. `reply` reads `find`, which was skipped; `find`'s `when` was false",
    });
    const answered = await post({ known: true, name: "x" });
    expect(answered.status).toBe(200);
    expect(await answered.json()).toEqual({ name: "x" });
  });
});

describe("one answer per branch, joined", () => {
  // The shape FLOW_OUTPUT_MAY_BE_SKIPPED's hint names: a `respond` node per port of a condition, a `merge` in
  // `mode: first` as the output. The merge forwards a respond node's answer, so its status and headers hold.
  const lookup: FlowDocument = {
    flows: 1,
    id: "lookup",
    version: "1.0.0",
    triggers: [{ type: "http", method: "POST", path: "/lookup" }],
    nodes: [
      {
        id: "check",
        kind: "condition",
        config: { when: "input.value.known" },
        inputs: { value: "${{ trigger.body }}" },
      },
      { id: "found", kind: "respond", inputs: { body: "${{ nodes.check.then.name }}" } },
      {
        id: "missing",
        kind: "respond",
        inputs: {
          status: 404,
          headers: { "x-why": "unknown" },
          body: { error: "${{ nodes.check.else.name }}" },
        },
      },
      {
        id: "answer",
        kind: "merge",
        config: { mode: "first" },
        inputs: { found: "${{ nodes.found.out }}", missing: "${{nodes.missing.out}}" },
      },
    ],
    output: "answer",
  };
  const worker = createWorker([lookup], { log: () => {} });
  const post = postTo(worker, "/lookup");

  it("answers with the status, headers and body of the respond node that ran", async () => {
    const missing = await post({ known: false, name: "x" });
    expect(missing.status).toBe(404);
    expect(missing.headers.get("x-why")).toBe("unknown");
    expect(await missing.json()).toEqual({ error: "x" });
    const found = await post({ known: true, name: "y" });
    expect(found.status).toBe(200);
    expect(found.headers.get("content-type")).toBe("text/plain; charset=utf-8");
    expect(await found.text()).toBe("y");
  });
});
