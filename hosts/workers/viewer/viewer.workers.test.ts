import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { FlowDocument } from "../../../flows/ir/types.ts";
import { createWorker } from "../index.ts";
import { constantTimeEqual } from "./auth.ts";

// The run viewer's page and API inside workerd: flows and graphs, runs started from the page and followed over
// SSE, runs followed by id, errors as envelopes; off by default, and when on, closed without the bearer token.

const flows: FlowDocument[] = [
  {
    flows: 1,
    id: "double",
    version: "1.0.0",
    description: "Doubles a number.",
    triggers: [{ type: "http", method: "POST", path: "/double" }],
    nodes: [
      {
        id: "twice",
        kind: "transform",
        config: { value: "${{ input.n * 2 }}" },
        inputs: { n: "${{ trigger.body.n }}" },
      },
      {
        id: "wait",
        kind: "delay",
        config: { duration: "20ms" },
        inputs: { value: "${{ nodes.twice.out }}" },
      },
      { id: "reply", kind: "respond", inputs: { body: { doubled: "${{ nodes.wait.out }}" } } },
    ],
  },
  {
    flows: 1,
    id: "broken",
    version: "1.0.0",
    triggers: [{ type: "http", method: "POST", path: "/broken" }],
    nodes: [
      { id: "start", kind: "transform", inputs: { a: 1 } },
      {
        id: "boom",
        kind: "fail",
        after: ["start"],
        config: { code: "BOOM", status: 418 },
        inputs: { message: "no" },
      },
    ],
  },
];

const ctx = {
  waitUntil: () => {},
  passThroughOnException: () => {},
  props: {},
} as unknown as ExecutionContext;
const quiet = { log: () => {} };
const TOKEN = "viewer-test-token-0123456789";
const ENV = { FLOWS_ADMIN_TOKEN: TOKEN };
const AUTH = { authorization: `Bearer ${TOKEN}` };

type Envelope = { error: { code: string; message: string; runId: string } };

type Frame = { event: string; data: Record<string, unknown> };

/** Reads an SSE body to its end, as frames. */
async function frames(response: Response): Promise<Frame[]> {
  const text = await response.text();
  const out: Frame[] = [];
  for (const block of text.split("\n\n")) {
    const event = /^event: (.+)$/m.exec(block)?.[1];
    const data = /^data: (.+)$/m.exec(block)?.[1];
    if (event && data) out.push({ event, data: JSON.parse(data) as Record<string, unknown> });
  }
  return out;
}

describe("run viewer", () => {
  const worker = createWorker(flows, { ...quiet, viewer: true });
  const call = (path: string, init?: RequestInit) =>
    worker.fetch(
      new Request(`http://flows.test${path}`, { ...init, headers: { ...AUTH, ...init?.headers } }),
      ENV,
      ctx,
    );
  const start = (flow: string, trigger: unknown) =>
    call(`/_flows/api/flows/${flow}/runs`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ trigger }),
    });

  it("serves a self-contained page at /_flows/ with a strict content security policy", async () => {
    for (const path of ["/_flows", "/_flows/"]) {
      const response = await call(path);
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toBe("text/html; charset=utf-8");
      expect(response.headers.get("content-security-policy")).toContain("default-src 'none'");
      const html = await response.text();
      expect(html).toContain("<title>flows · run viewer</title>");
      expect(html).not.toMatch(/<script src|<link /);
      // Its inline script parses (compiled here only, never run: a test pool allows code generation).
      const script = html.split("<script>")[1]?.split("</script>")[0] ?? "";
      expect(script).toContain("sessionStorage");
      expect(() => new Function(script)).not.toThrow();
    }
  });

  it("lists the flows with their triggers, effect and determinism", async () => {
    const body = (await (await call("/_flows/api/flows")).json()) as { flows: Record<string, unknown>[] };
    expect(body.flows).toEqual([
      {
        id: "double",
        version: "1.0.0",
        description: "Doubles a number.",
        effect: "pure",
        determinism: "strict",
        nodes: 3,
        triggers: [{ type: "http", label: "POST /double" }],
      },
      expect.objectContaining({ id: "broken", description: null }),
    ]);
  });

  it("gives a flow's graph with an SVG box per node", async () => {
    const body = (await (await call("/_flows/api/flows/double/graph")).json()) as {
      graph: { edges: { from: string; to: string; type: string }[] };
      svg: string;
    };
    expect(body.graph.edges).toContainEqual(
      expect.objectContaining({ from: "node:twice", to: "node:wait", type: "data" }),
    );
    for (const id of ["twice", "wait", "reply"]) expect(body.svg).toContain(`data-id="${id}"`);
  });

  it("starts a run and streams its events: every node starts and ends, then the run ends ok", async () => {
    const started = await start("double", { body: { n: 21 } });
    expect(started.status).toBe(202);
    const { runId, events } = (await started.json()) as { runId: string; events: string };
    expect(events).toBe(`/_flows/api/runs/${runId}/events`);
    const response = await call(events);
    expect(response.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    const list = await frames(response);
    for (const id of ["twice", "wait", "reply"]) {
      expect(list).toContainEqual({
        event: "node.start",
        data: expect.objectContaining({ nodeId: id, runId }),
      });
      expect(list).toContainEqual({ event: "node.end", data: expect.objectContaining({ nodeId: id }) });
    }
    const end = list.at(-1)!;
    expect(end.event).toBe("run.end");
    expect(end.data).toMatchObject({ status: "ok" });
    // A second follower of the finished run gets the same recorded events.
    expect((await frames(await call(events))).map((f) => f.event)).toEqual(list.map((f) => f.event));
  });

  it("shows a failing node's error in its events", async () => {
    const { events } = (await (await start("broken", {})).json()) as { events: string };
    const list = await frames(await call(events));
    const error = list.find((f) => f.event === "node.error");
    expect(error?.data).toMatchObject({ nodeId: "boom", error: { code: "BOOM", message: "no" } });
    expect(list.at(-1)?.data).toMatchObject({ status: "failed" });
  });

  it("answers unknown flows and runs, and bad run requests, with envelopes", async () => {
    const noFlow = await call("/_flows/api/flows/nope/graph");
    expect(noFlow.status).toBe(404);
    expect(((await noFlow.json()) as { error: { code: string } }).error.code).toBe("FLOW_NOT_FOUND");
    const noRun = await call("/_flows/api/runs/unknown-run/events");
    expect(noRun.status).toBe(404);
    expect(((await noRun.json()) as { error: { code: string } }).error.code).toBe("RUN_NOT_FOUND");
    const bad = await call("/_flows/api/flows/double/runs", { method: "POST", body: "{nope" });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe("BODY_INVALID_JSON");
    const list = await call("/_flows/api/flows/double/runs", { method: "POST", body: "[1]" });
    expect(list.status).toBe(400);
  });

  it("does not record ordinary runs unless told to", async () => {
    const response = await call("/double", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ n: 2 }),
    });
    const runId = response.headers.get("x-flow-run-id")!;
    expect((await call(`/_flows/api/runs/${runId}/events`)).status).toBe(404);
  });

  it("with recordAll, follows an ordinary HTTP run by its x-flow-run-id", async () => {
    const recording = createWorker(flows, { ...quiet, viewer: { recordAll: true } });
    const fetchIt = (path: string, init?: RequestInit) =>
      recording.fetch(
        new Request(`http://flows.test${path}`, { ...init, headers: { ...AUTH, ...init?.headers } }),
        ENV,
        ctx,
      );
    const response = await fetchIt("/double", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ n: 2 }),
    });
    expect(await response.json()).toEqual({ doubled: 4 });
    const runId = response.headers.get("x-flow-run-id")!;
    const list = await frames(await fetchIt(`/_flows/api/runs/${runId}/events`));
    expect(list.at(-1)).toMatchObject({ event: "run.end", data: { status: "ok", runId } });
    const runs = (await (await fetchIt("/_flows/api/runs")).json()) as { runs: { runId: string }[] };
    expect(runs.runs[0]?.runId).toBe(runId);
  });

  it("is off by default and with viewer: false: the page and the API are not found", async () => {
    for (const off of [createWorker(flows, quiet), createWorker(flows, { ...quiet, viewer: false })]) {
      for (const path of ["/_flows/", "/_flows/api/flows"]) {
        const response = await off.fetch(
          new Request(`http://flows.test${path}`, { headers: AUTH }),
          ENV,
          ctx,
        );
        expect(response.status).toBe(404);
        expect(((await response.json()) as Envelope).error.code).toBe("ROUTE_NOT_FOUND");
      }
      const run = await off.fetch(
        new Request("http://flows.test/_flows/api/flows/double/runs", { method: "POST", headers: AUTH }),
        ENV,
        ctx,
      );
      expect(run.status).toBe(404);
    }
  });
});

describe("run viewer: the bearer token", () => {
  const worker = createWorker(flows, { ...quiet, viewer: true });
  const call = (path: string, env: object, headers: Record<string, string> = {}, method = "GET") =>
    worker.fetch(new Request(`http://flows.test${path}`, { method, headers }), env, ctx);
  const API = ["/_flows/api/flows", "/_flows/api/flows/double/graph", "/_flows/api/runs"];

  it("answers 401 VIEWER_UNAUTHORIZED with a Bearer challenge to an API request without a token, and starts no run", async () => {
    for (const path of API) {
      const response = await call(path, ENV);
      expect(response.status).toBe(401);
      expect(response.headers.get("www-authenticate")).toBe('Bearer realm="flows viewer"');
      const body = (await response.json()) as Envelope;
      expect(body.error.code).toBe("VIEWER_UNAUTHORIZED");
      expect(body.error.message).toBe(
        "the run viewer needs the header `Authorization: Bearer <FLOWS_ADMIN_TOKEN>`",
      );
      expect(body.error.runId).toBe(response.headers.get("x-flow-run-id"));
    }
    const run = await call("/_flows/api/flows/double/runs", ENV, {}, "POST");
    expect(run.status).toBe(401);
    const runs = (await (await call("/_flows/api/runs", ENV, AUTH)).json()) as { runs: unknown[] };
    expect(runs.runs).toEqual([]);
  });

  it("answers 401 to a wrong token, another scheme, or the token with a suffix", async () => {
    for (const authorization of [
      "Bearer wrong-token-wrong-token",
      `Bearer ${TOKEN}x`,
      `Basic ${btoa(`admin:${TOKEN}`)}`,
      TOKEN,
      "Bearer ",
    ]) {
      const response = await call("/_flows/api/flows", ENV, { authorization });
      expect(response.status).toBe(401);
      expect(((await response.json()) as Envelope).error.code).toBe("VIEWER_UNAUTHORIZED");
    }
    const wrong = (await (
      await call("/_flows/api/flows", ENV, { authorization: "Bearer wrong-token-wrong-token" })
    ).json()) as Envelope;
    expect(wrong.error.message).toBe("the bearer token is not the viewer's FLOWS_ADMIN_TOKEN");
  });

  it("serves the API to the right token (any case of the scheme)", async () => {
    const response = await call("/_flows/api/flows", ENV, { authorization: `bearer ${TOKEN}` });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { flows: unknown[] }).flows).toHaveLength(2);
  });

  it("keeps the page and the API closed with 503 VIEWER_NOT_CONFIGURED when the secret is missing or short", async () => {
    for (const env of [{}, { FLOWS_ADMIN_TOKEN: "short" }, { FLOWS_ADMIN_TOKEN: 12 }]) {
      for (const path of ["/_flows/", "/_flows/api/flows"]) {
        const response = await call(path, env, { authorization: "Bearer short" });
        expect(response.status).toBe(503);
        const body = (await response.json()) as Envelope;
        expect(body.error.code).toBe("VIEWER_NOT_CONFIGURED");
      }
    }
    const body = (await (await call("/_flows/api/flows", {})).json()) as Envelope;
    expect(body.error.message).toBe(
      "the run viewer is on but the FLOWS_ADMIN_TOKEN secret is not set: set it with `wrangler secret put FLOWS_ADMIN_TOKEN` (locally in .dev.vars)",
    );
    const short = (await (await call("/_flows/", { FLOWS_ADMIN_TOKEN: "short" })).json()) as Envelope;
    expect(short.error.message).toContain("is shorter than 16 characters");
  });

  it("serves the page, which holds no data, without a token when the secret is set", async () => {
    const response = await call("/_flows/", ENV);
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).toContain('<div id="login" hidden>');
    expect(html).not.toContain("double");
    expect(html).not.toContain(TOKEN);
  });

  it("compares tokens in constant time over their SHA-256 digests", async () => {
    expect(await constantTimeEqual(TOKEN, TOKEN)).toBe(true);
    expect(await constantTimeEqual(TOKEN, `${TOKEN} `)).toBe(false);
    expect(await constantTimeEqual("", "a")).toBe(false);
    expect(await constantTimeEqual("", "")).toBe(true);
  });
});

describe("run viewer with the run store (FLOWS_RUNS bound)", () => {
  const worker = createWorker(flows, { ...quiet, viewer: true, runs: { record: "all" } });
  const bound = { ...env, ...ENV };
  const call = async (path: string, init?: RequestInit) => {
    const context = createExecutionContext();
    const response = await worker.fetch(
      new Request(`http://flows.test${path}`, { ...init, headers: { ...AUTH, ...init?.headers } }),
      bound,
      context,
    );
    const text = await response.text();
    await waitOnExecutionContext(context);
    return { status: response.status, text, json: () => JSON.parse(text) as Record<string, unknown> };
  };

  it("lists the store's history of a flow, gives a run's record with each failed node's error, and its stored events", async () => {
    const started = await call("/_flows/api/flows/broken/runs", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    const { runId } = started.json() as { runId: string };
    // The page follows it live (events from this isolate); once recorded, the store has it too.
    await call(`/_flows/api/runs/${runId}/events`);
    let record: Record<string, unknown> | undefined;
    for (let i = 0; i < 50 && !record; i++) {
      const answer = await call(`/_flows/api/runs/${runId}`);
      if (answer.status === 200) record = answer.json();
      else await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(record).toMatchObject({
      runId,
      flowId: "broken",
      trigger: { type: "viewer", id: "viewer" },
      status: "failed",
      nodes: { boom: { status: "failed", error: { code: "BOOM", message: "no" } } },
    });
    const history = (await call("/_flows/api/runs?flow=broken")).json() as {
      source: string;
      runs: { runId: string; status: string }[];
    };
    expect(history.source).toBe("store");
    expect(history.runs.find((r) => r.runId === runId)).toMatchObject({ status: "failed" });

    // Another isolate (a worker that never saw the run) follows it from the store's event log.
    const other = createWorker(flows, { ...quiet, viewer: true });
    const replay = await other.fetch(
      new Request(`http://flows.test/_flows/api/runs/${runId}/events`, { headers: AUTH }),
      bound,
      createExecutionContext(),
    );
    expect(replay.status).toBe(200);
    const list = await frames(replay);
    expect(list.find((f) => f.event === "node.error")?.data).toMatchObject({ nodeId: "boom" });
    expect(list.at(-1)?.event).toBe("error");
    const unknown = await call("/_flows/api/runs/not-a-run");
    expect(unknown.status).toBe(404);
  });
});
