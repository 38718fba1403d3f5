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

  it("holds a streamed upload to its content-length: a longer body is stored at that length, one cut short is a 400", async () => {
    const { connect } = await import("node:net");
    const exchange = (request: string): Promise<string> =>
      new Promise<string>((resolve) => {
        const socket = connect({ host: served.url.hostname, port: Number(served.url.port) });
        let out = "";
        // Sent, then this side closed: a body shorter than its content-length ends with its connection.
        socket.on("connect", () => socket.end(request));
        socket.on("data", (d) => (out += d.toString("latin1")));
        socket.on("close", () => resolve(out));
        socket.on("error", () => resolve(out));
        setTimeout(() => socket.destroy(), 10_000);
      });
    const head = (name: string, length: number) =>
      `PUT /files/${name} HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nContent-Length: ${length}\r\n\r\n`;
    const name = `declared-${crypto.randomUUID()}.bin`;
    const longer = await exchange(`${head(name, 10)}0123456789 and more`);
    expect(longer, longer).toMatch(/^HTTP\/1\.1 200 /);
    const stored = await fetch(new URL(`/files/${name}`, served.url));
    // The download is R2's body handed over at its length: the answer says it, as a hand-written one would.
    expect(stored.headers.get("content-length")).toBe("10");
    expect(await stored.text()).toBe("0123456789");

    const cut = `cut-${crypto.randomUUID()}.bin`;
    const answer = await exchange(`${head(cut, 100)}0123456789`);
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    expect(answer).toContain('"code":"BODY_INCOMPLETE"');
    const missing = await fetch(new URL(`/files/${cut}`, served.url));
    await missing.arrayBuffer();
    expect(missing.status).toBe(404);
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
    for (const framing of ["chunked", "content-length"] as const) {
      // A server that refuses a body and closes may reset the connection while the client is still sending, and
      // a reset can drop an answer already on its way: each try stops sending once the answer's first bytes are
      // in, and a try that ends in a reset without an answer is tried again. No try may be answered otherwise.
      const answers: string[] = [];
      for (let attempt = 0; attempt < 5 && !answers.some((a) => a.startsWith("HTTP/1.1 413")); attempt++) {
        const answer = await postOversized(served.url, "/_flows/api/flows/echo/runs", framing);
        if (answer !== "") answers.push(answer);
      }
      expect(answers.length, framing).toBeGreaterThan(0);
      for (const answer of answers) {
        expect(answer.split("\r\n")[0], framing).toBe("HTTP/1.1 413 Payload Too Large");
        expect(answer, framing).toContain('"code":"BODY_TOO_LARGE"');
      }
    }
  }, 60_000);

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

/**
 * POSTs 4 MiB of spaces in 64 KiB pieces over a raw socket, without a declared length (chunked) or with one, and
 * stops sending as soon as any answer arrives; resolves with what the server sent ("" when it reset the
 * connection before answering).
 */
async function postOversized(
  base: URL,
  path: string,
  framing: "chunked" | "content-length",
): Promise<string> {
  const { connect } = await import("node:net");
  const total = 4 * 1024 * 1024;
  const piece = Buffer.alloc(64 * 1024, 0x20);
  const socket = connect({ host: base.hostname, port: Number(base.port) });
  let answer = "";
  let closed = false;
  const ended = new Promise<void>((resolve) => {
    socket.on("data", (data: Buffer) => {
      answer += data.toString("latin1");
    });
    socket.on("error", () => {});
    socket.on("close", () => {
      closed = true;
      resolve();
    });
  });
  await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
  const length = framing === "chunked" ? "Transfer-Encoding: chunked" : `Content-Length: ${total}`;
  socket.write(
    `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nAuthorization: Bearer ${SOAK_ADMIN_TOKEN}\r\n${length}\r\nConnection: close\r\n\r\n`,
  );
  for (let sent = 0; sent < total && answer === "" && !closed; sent += piece.byteLength) {
    const frame =
      framing === "chunked" ? Buffer.concat([Buffer.from("10000\r\n"), piece, Buffer.from("\r\n")]) : piece;
    if (!socket.write(frame))
      await new Promise<void>((resolve) => socket.once("drain", resolve).once("close", resolve));
    // Let an answer that arrived be read before the next piece goes out.
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  if (framing === "chunked" && answer === "" && !closed) socket.write("0\r\n\r\n");
  const timer = setTimeout(() => socket.destroy(), 10_000);
  await ended;
  clearTimeout(timer);
  return answer;
}
