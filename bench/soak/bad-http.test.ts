import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  checkAnswer,
  fuzzHttp,
  type ServedExample,
  SOAK_ADMIN_TOKEN,
  serveExampleWorker,
} from "./bad-http.ts";

/** The quick part of the soak's HTTP section (`npm run soak` sends 10,000). */
let served: ServedExample;
beforeAll(async () => {
  served = await serveExampleWorker(undefined, { handleStructuredLogs: () => {} });
}, 60_000);
afterAll(async () => {
  await served?.dispose();
});

describe("malformed requests against the served example worker", () => {
  it("answers 300 of them without a 5xx, errors as envelopes with their code's status, and stays healthy", async () => {
    const stats = await fuzzHttp(served.url, 300, 7, 4);
    expect(stats.failures).toEqual([]);
    expect(stats.requests).toBe(300);
    expect(stats.rawRequests).toBe(30);
    expect(stats.healthyAfter).toBe(true);
    // The mix reaches the worker's own refusals, not just 404s.
    expect(stats.codes.get("ROUTE_NOT_FOUND")).toBeGreaterThan(0);
    expect(stats.codes.get("METHOD_NOT_ALLOWED")).toBeGreaterThan(0);
  }, 120_000);

  it("answers a body that breaks off mid-stream with 400 BODY_INCOMPLETE, read whole or streamed to R2", async () => {
    const { connect } = await import("node:net");
    const send = (head: string): Promise<string> =>
      new Promise<string>((resolve) => {
        const socket = connect({ host: served.url.hostname, port: Number(served.url.port) });
        let out = "";
        socket.on("connect", () =>
          socket.write(
            `${head}\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\n{"a":\r\nzz\r\n`,
          ),
        );
        socket.on("data", (d) => (out += d.toString("latin1")));
        socket.on("close", () => resolve(out));
        setTimeout(() => socket.destroy(), 10_000);
      });
    for (const head of [
      "POST /echo HTTP/1.1\r\nContent-Type: application/json",
      "PUT /files/a.txt HTTP/1.1\r\nContent-Type: application/octet-stream",
    ]) {
      const text = await send(head);
      expect(text).toMatch(/^HTTP\/1\.1 400 /);
      expect(text).toContain('"code":"BODY_INCOMPLETE"');
    }
  }, 30_000);

  it("takes no identity from request headers: the run id is the server's own", async () => {
    const response = await fetch(new URL("/echo", served.url), {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-flow-run-id": "attacker-chosen",
        "x-forwarded-for": "10.0.0.1",
      },
      body: "{}",
    });
    await response.arrayBuffer();
    expect(response.headers.get("x-flow-run-id")).toMatch(/^[0-9a-f-]{36}$/);
    expect(response.headers.get("x-flow-run-id")).not.toBe("attacker-chosen");
  });

  it("the run viewer's start endpoint stops reading at its 1 MiB limit (413), with or without content-length", async () => {
    const chunk = new Uint8Array(64 * 1024).fill(0x20);
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        // 4 MiB at most, without a content-length: the limit must be enforced while reading.
        if (sent >= 4 * 1024 * 1024) return controller.close();
        sent += chunk.byteLength;
        controller.enqueue(chunk);
      },
    });
    const response = await fetch(new URL("/_flows/api/flows/echo/runs", served.url), {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${SOAK_ADMIN_TOKEN}` },
      body,
      duplex: "half",
    } as RequestInit);
    expect(response.status).toBe(413);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe("BODY_TOO_LARGE");
  });

  it("a payload too large or too deep for a queue message is the client's 422, not the platform's 502", async () => {
    for (const body of [
      JSON.stringify({ list: Array.from({ length: 100_000 }, (_, i) => i) }),
      `${"[".repeat(50_000)}${"]".repeat(50_000)}`,
    ]) {
      const response = await fetch(new URL("/jobs", served.url), {
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
      });
      expect(response.status).toBe(422);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe("NODE_INPUT_INVALID");
    }
  });

  it("the checker itself flags a 5xx, a missing envelope and a wrong status", () => {
    const codes = new Map<string, number>();
    expect(checkAnswer(500, "{}", "GET", codes)).toMatch(/status 500/);
    expect(checkAnswer(404, "not json", "GET", codes)).toMatch(/without a JSON envelope/);
    expect(
      checkAnswer(400, JSON.stringify({ error: { code: "ROUTE_NOT_FOUND", message: "x" } }), "GET", codes),
    ).toMatch(/expected 404/);
    expect(
      checkAnswer(404, JSON.stringify({ error: { code: "ROUTE_NOT_FOUND", message: "x" } }), "GET", codes),
    ).toBeUndefined();
  });
});
