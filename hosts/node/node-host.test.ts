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

const headers: FlowDocument = {
  flows: 1,
  id: "headers",
  version: "1.0.0",
  triggers: [{ type: "http", method: "GET", path: "/headers" }],
  nodes: [{ id: "reply", kind: "respond", inputs: { body: "${{ trigger.headers }}" } }],
};

/** One raw HTTP/1.1 exchange (fetch cannot send a header twice), the answer's body. */
async function rawGet(url: string, lines: string[]): Promise<string> {
  const { connect } = await import("node:net");
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) });
    let out = "";
    socket.on("connect", () => socket.write(`${lines.join("\r\n")}\r\n\r\n`));
    socket.on("data", (d) => {
      out += d.toString("utf8");
      const [head, body] = out.split("\r\n\r\n");
      const length = /content-length: (\d+)/i.exec(head ?? "");
      if (length && body !== undefined && Buffer.byteLength(body) >= Number(length[1])) {
        socket.destroy();
        resolve(body);
      }
    });
    socket.on("error", reject);
  });
}

let server: NodeServer;
const lines: Record<string, unknown>[] = [];

beforeAll(async () => {
  server = await serveOnNode(createWorker([echo, headers], { log: (line) => lines.push(line) }), { port: 0 });
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

  it("gives trigger.headers from Node's own parse: lower-case names, a repeated header joined as Headers.get joins it", async () => {
    const body = await rawGet(server.url, [
      "GET /headers HTTP/1.1",
      "Host: 127.0.0.1",
      "X-Repeated: one",
      "X-Repeated: two",
      // Node's `incoming.headers` keeps only the first of these; Fetch's Headers (and so Workers) joins them.
      "User-Agent: first",
      "User-Agent: second",
      "X-Mixed-Case: Value",
      "Connection: close",
    ]);
    const seen = JSON.parse(body) as Record<string, string>;
    const asFetchJoins = new Headers([
      ["x-repeated", "one"],
      ["x-repeated", "two"],
    ]).get("x-repeated");
    expect(seen["x-repeated"]).toBe(asFetchJoins);
    expect(seen["user-agent"]).toBe("first, second");
    expect(seen["x-mixed-case"]).toBe("Value");
    expect(seen.host).toBe("127.0.0.1");
    expect(Object.keys(seen).every((name) => name === name.toLowerCase())).toBe(true);
  });

  it("answers unknown routes with the error envelope", async () => {
    const response = await fetch(`${server.url}/nope`);
    expect(response.status).toBe(404);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe("ROUTE_NOT_FOUND");
  });
});
