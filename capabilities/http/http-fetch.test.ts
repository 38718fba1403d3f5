import { once } from "node:events";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runFlow } from "../../kernel/index.ts";
import { memoryLogger, node, planOf, ref } from "../../kernel/testing/helpers.ts";
import { httpFetchSuite } from "./conformance.ts";

httpFetchSuite();

// Node only: a real HTTP server on 127.0.0.1 proves that a timeout aborts the real request (the server sees
// the connection close), not just the wait for it. The mock-fetch tests run in both runtimes.
describe("http.fetch against a real server", () => {
  let base = "";
  const closed: string[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (req.url === "/slow") {
      res.on("close", () => closed.push("/slow"));
      return; // never answers
    }
    if (req.url === "/echo") {
      let body = "";
      req.on("data", (chunk) => {
        body += chunk;
      });
      req.on("end", () => {
        res.setHeader("content-type", "application/json");
        res.end(
          JSON.stringify({
            method: req.method,
            key: req.headers["idempotency-key"] ?? null,
            body: JSON.parse(body || "null"),
          }),
        );
      });
      return;
    }
    res.statusCode = 404;
    res.end();
  });

  beforeAll(async () => {
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => {
    server.closeAllConnections();
    server.close();
  });

  it("sends the request and parses the JSON answer", async () => {
    const plan = planOf(
      [
        node("call", "http.fetch", {
          inputs: { url: `${base}/echo`, body: { a: 1 } },
          idempotencyKey: "'k-1'",
        }),
        node("out", "transform", { inputs: { status: ref("call", "status"), body: ref("call", "body") } }),
      ],
      [],
      { output: "out" },
    );
    const result = await runFlow(plan);
    expect(result.output).toEqual({ status: 200, body: { method: "POST", key: "k-1", body: { a: 1 } } });
  });

  it("aborts the in-flight request when the node times out: the server sees the connection close", async () => {
    const plan = planOf([node("call", "http.fetch", { inputs: { url: `${base}/slow` }, timeout: "100ms" })]);
    const result = await runFlow(plan, { logger: memoryLogger() });
    expect(result.error?.code).toBe("NODE_TIMEOUT");
    await expect.poll(() => closed, { timeout: 2_000 }).toEqual(["/slow"]);
  });
});
