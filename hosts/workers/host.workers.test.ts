import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";

// The example worker (wrangler.toml `main`) served inside workerd: real routing, bodies and envelopes.
const call = (path: string, init?: RequestInit): Promise<Response> =>
  exports.default.fetch(`http://flows.test${path}`, init);

const postJson = (path: string, body: unknown): Promise<Response> =>
  call(path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

describe("Workers host: HTTP triggers", () => {
  it("streams POST /echo/stream as SSE: one chunk event per item, an id on every event, a final end", async () => {
    const response = await postJson("/echo/stream", { count: 5 });
    expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const frames = (await response.text()).split("\n\n").filter((f) => f.includes("event: "));
    const chunks = frames.filter((f) => f.startsWith("event: node.chunk"));
    expect(chunks.map((f) => JSON.parse(f.split("data: ")[1]!).chunk)).toEqual(
      [0, 1, 2, 3, 4].map((index) => ({ index, of: 5 })),
    );
    expect(frames.map((f) => Number(/^id: (\d+)$/m.exec(f)?.[1]))).toEqual(frames.map((_, i) => i + 1));
    expect(frames.at(-1)).toMatch(/^event: end\n/);
  });

  it("runs a flow on its route and answers with its respond node's body and the run id", async () => {
    const response = await postJson("/echo/params/ada?x=1", { hello: "world" });
    expect(response.status).toBe(200);
    expect(response.headers.get("x-flow-run-id")).toMatch(/^[0-9a-f-]{36}$/);
    expect(await response.json()).toEqual({ name: "ada", query: { x: "1" }, received: { hello: "world" } });
  });

  it("joins the branch that ran through a merge", async () => {
    const morning = await postJson("/greet", { hour: 9, name: "Ada" });
    expect(await morning.json()).toEqual({ greeting: "Good morning, Ada!" });
    const evening = await postJson("/greet", { hour: 20 });
    expect(await evening.json()).toEqual({ greeting: "Good evening, stranger!" });
  });

  it("answers 400 with the envelope for unparseable JSON", async () => {
    const response = await call("/echo", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{",
    });
    expect(response.status).toBe(400);
    const { error } = (await response.json()) as { error: { code: string; runId: string } };
    expect(error.code).toBe("BODY_INVALID_JSON");
    expect(error.runId).toBe(response.headers.get("x-flow-run-id"));
    // The envelope's exact shape: one `error` object with code, message, run id (and details when there are any).
    expect(Object.keys(await (await call("/nowhere")).json())).toEqual(["error"]);
    expect(Object.keys(error).sort()).toEqual(["code", "message", "runId"]);
  });

  it("answers 415 for an unsupported content type and 413 over the size limit", async () => {
    const image = await call("/echo", {
      method: "POST",
      headers: { "content-type": "image/png" },
      body: "x",
    });
    expect(image.status).toBe(415);
    const big = await call("/echo", {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body: "x".repeat(1024 * 1024 + 1),
    });
    expect(big.status).toBe(413);
    expect(((await big.json()) as { error: { code: string } }).error.code).toBe("BODY_TOO_LARGE");
  });

  it("answers 404 for no route and 405 with Allow for the wrong method", async () => {
    const missing = await call("/nowhere");
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe("ROUTE_NOT_FOUND");
    expect(missing.headers.get("x-flow-run-id")).toBeTruthy();
    const wrong = await call("/echo", { method: "GET" });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get("allow")).toBe("POST");
    // The route's one handler answers the 405 itself, with the run id the envelope names.
    const refused = (await wrong.json()) as { error: { code: string; runId: string } };
    expect(refused.error.code).toBe("METHOD_NOT_ALLOWED");
    expect(wrong.headers.get("x-flow-run-id")).toBe(refused.error.runId);
  });

  it("gives the host's own routes a run id header too", async () => {
    const response = await call("/_flows/health");
    expect(response.headers.get("x-flow-run-id")).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("reports the loaded flows on /_flows/health", async () => {
    const response = await call("/_flows/health");
    const health = (await response.json()) as { ok: boolean; flows: { id: string }[] };
    expect(health.ok).toBe(true);
    expect(health.flows.map((f) => f.id).sort()).toEqual([
      "approval",
      "cron-report",
      "echo",
      "echo-params",
      "echo-stream",
      "enqueue",
      "files-download",
      "files-upload",
      "github-issue-opened",
      "github-pull-request-size",
      "github-read",
      "github-review-reminder",
      "github-review-submitted",
      "github-webhook", // the built-in webhook flow serving the GitHub triggers (examples/github-app)
      "greet",
      "queue-to-kv",
      "upload-pipeline-process",
      "upload-pipeline-status",
      "upload-pipeline-upload",
    ]);
  });
});
