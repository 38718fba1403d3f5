import { readFileSync } from "node:fs";
import { EventSource } from "eventsource";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { unstable_startWorker } from "wrangler";

// The example worker served by real workerd (not the test pool, which allows code generation): validating
// flows here proves the build-time compiled validators generate no code at run time.
type Worker = Awaited<ReturnType<typeof unstable_startWorker>>;
let worker: Worker;

beforeAll(async () => {
  process.env.WRANGLER_SEND_METRICS = "false";
  worker = await unstable_startWorker({
    config: "wrangler.toml",
    dev: { server: { hostname: "127.0.0.1", port: 0 }, inspector: false },
  });
  await worker.ready;
}, 60_000);

afterAll(async () => {
  await worker?.dispose();
});

const post = (path: string, body: string): Promise<Response> =>
  worker.fetch(`http://127.0.0.1${path}`, {
    method: "POST",
    body,
    headers: { "content-type": "text/plain" },
  }) as unknown as Promise<Response>;

describe("a served worker (workerd, code generation disallowed)", () => {
  it("validates a valid flow at request time", async () => {
    const text = readFileSync("examples/s3_workers_echo/greet.yaml", "utf8");
    const response = await post("/_flows/validate?file=greet.yaml", text);
    expect(await response.json()).toEqual({ ok: true, diagnostics: [] });
  });

  it("reports schema and semantic errors of an invalid flow with codes and positions", async () => {
    const text = [
      "flows: 1",
      "id: Bad_Id",
      "version: 1.0.0",
      "triggers: [{ type: http, method: GET, path: /x }]",
      "nodes:",
      "  - id: a",
      "    kind: nope",
    ].join("\n");
    const response = await post("/_flows/validate?file=bad.yaml", text);
    expect(response.status).toBe(422);
    const { ok, diagnostics } = (await response.json()) as {
      ok: boolean;
      diagnostics: { code: string; line: number }[];
    };
    expect(ok).toBe(false);
    expect(diagnostics.length).toBeGreaterThan(0);
    for (const d of diagnostics) expect(d.code).toMatch(/^FLOW_[A-Z_]+$/);
    expect(diagnostics.some((d) => d.line === 2)).toBe(true);
  });

  it("serves the example flows", async () => {
    const response = (await worker.fetch("http://127.0.0.1/echo", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '{"a":1}',
    })) as unknown as Response;
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ a: 1 });
  });

  it("streams POST /echo/stream to a real EventSource client: every event, each with its id", async () => {
    const url = new URL("/echo/stream", await worker.url);
    const received: { type: string; id: string; data: string }[] = [];
    await new Promise<void>((resolve, reject) => {
      const source = new EventSource(url, {
        fetch: (input, init) =>
          fetch(input, {
            ...init,
            method: "POST",
            headers: { ...init.headers, "content-type": "application/json" },
            body: JSON.stringify({ count: 4 }),
          }),
      });
      const types = [
        "run.start",
        "node.start",
        "node.chunk",
        "node.output",
        "node.end",
        "run.end",
        "end",
        "error",
      ];
      for (const type of types) {
        source.addEventListener(type, (event) => {
          received.push({ type, id: event.lastEventId, data: event.data });
          if (type === "end" || type === "error") {
            source.close();
            resolve();
          }
        });
      }
      source.onerror = (error) => {
        source.close();
        reject(new Error(`EventSource failed: ${String(error.message ?? error)}`));
      };
    });
    expect(received.map((e) => e.id)).toEqual(received.map((_, i) => String(i + 1)));
    expect(
      received.filter((e) => e.type === "node.chunk").map((e) => JSON.parse(e.data).chunk.index),
    ).toEqual([0, 1, 2, 3]);
    expect(received.at(-1)?.type).toBe("end");
  });
});
