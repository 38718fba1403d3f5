import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FlowDocument } from "../../flows/ir/types.ts";
import { createWorker } from "../workers/index.ts";
import { type NodeServer, serveOnNode } from "./index.ts";

const echo: FlowDocument = {
  flows: 1,
  id: "echo",
  version: "1.0.0",
  triggers: [{ type: "http", method: "POST", path: "/echo" }],
  nodes: [{ id: "reply", kind: "respond", inputs: { body: "${{ trigger.body }}" } }],
};

let server: NodeServer;
const lines: Record<string, unknown>[] = [];

beforeAll(async () => {
  server = await serveOnNode(createWorker([echo], { log: (line) => lines.push(line) }), { port: 0 });
});
afterAll(() => server.close());

describe("Node host", () => {
  it("serves the same routes as the Workers host on 127.0.0.1", async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const response = await fetch(`${server.url}/echo`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ a: [1, 2] }),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ a: [1, 2] });
    expect(lines.at(-1)).toMatchObject({
      flowId: "echo",
      status: "ok",
      runId: response.headers.get("x-flow-run-id"),
    });
  });

  it("answers unknown routes with the error envelope", async () => {
    const response = await fetch(`${server.url}/nope`);
    expect(response.status).toBe(404);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe("ROUTE_NOT_FOUND");
  });
});
