import {
  createExecutionContext,
  createMessageBatch,
  createScheduledController,
  waitOnExecutionContext,
} from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { FlowDocument, RunsPolicy } from "../../../flows/ir/types.ts";
import { createWorker, type WorkerOptions } from "../index.ts";
import type { IndexEntry, RunRecord } from "./record.ts";

// The Workers host recording runs into the real local run store (FLOWS_RUNS), after each answer and under
// waitUntil: failed runs only by default, all, none, per flow and per deployment; nothing without the binding.
// And the read API: closed without the token, 401/403, the record of a run just served, a flow's list.

const TOKEN = "runs-test-admin-token-0123456789";
const AUTH = { authorization: `Bearer ${TOKEN}` };
const ENV = { ...env, FLOWS_ADMIN_TOKEN: TOKEN };

/** Flows with ids of their own (the store is shared by every test of the run). */
function flows(suffix: string, runs?: RunsPolicy): FlowDocument[] {
  const policy = runs ? { runs } : {};
  return [
    {
      flows: 1,
      id: `double-${suffix}`,
      version: "1.2.0",
      triggers: [
        { type: "http", method: "POST", path: `/double-${suffix}` },
        { type: "http", id: "live", method: "POST", path: `/double-${suffix}/sse`, response: "sse" },
      ],
      nodes: [
        { id: "twice", kind: "transform", inputs: { n: "${{ trigger.body.n * 2 }}" } },
        { id: "reply", kind: "respond", inputs: { body: { doubled: "${{ nodes.twice.out.n }}" } } },
      ],
      ...policy,
    },
    {
      flows: 1,
      id: `broken-${suffix}`,
      version: "1.0.0",
      triggers: [
        { type: "http", method: "POST", path: `/broken-${suffix}` },
        { type: "http", id: "live", method: "POST", path: `/broken-${suffix}/sse`, response: "sse" },
        { type: "queue", queue: `jobs-${suffix}` },
        { type: "cron", schedule: "0 5 * * *" },
      ],
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
      bindings: { JOBS: { type: "queue", queue: `jobs-${suffix}` } },
      ...policy,
    },
  ];
}

const quiet = { log: () => {} };

/** A worker and helpers that serve a request and wait for its waitUntil work (the recording). */
function served(docs: FlowDocument[], options: WorkerOptions = {}, bindings: object = ENV) {
  const worker = createWorker(docs, { ...quiet, ...options });
  const fetchIt = async (path: string, init: RequestInit = {}) => {
    const ctx = createExecutionContext();
    const response = await worker.fetch(new Request(`http://flows.test${path}`, init), bindings, ctx);
    const body = await response.text();
    await waitOnExecutionContext(ctx);
    return { response, body, runId: response.headers.get("x-flow-run-id")! };
  };
  const post = (path: string, body: unknown) =>
    fetchIt(path, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  const api = async (path: string, headers: Record<string, string> = AUTH) => {
    const { response, body } = await fetchIt(path, { headers });
    return {
      status: response.status,
      headers: response.headers,
      json: JSON.parse(body) as Record<string, unknown>,
    };
  };
  const record = async (runId: string) => {
    const answer = await api(`/_flows/runs/${runId}`);
    return answer.status === 200 ? (answer.json as unknown as RunRecord) : undefined;
  };
  return { worker, fetchIt, post, api, record };
}

describe("recording runs: which ones", () => {
  it("records failed runs only by default: an ok JSON run leaves nothing, a failed one its record", async () => {
    const id = crypto.randomUUID().slice(0, 8);
    const { post, record, api } = served(flows(id));
    const ok = await post(`/double-${id}`, { n: 21 });
    expect(JSON.parse(ok.body)).toEqual({ doubled: 42 });
    expect(await record(ok.runId)).toBeUndefined();
    const failed = await post(`/broken-${id}`, {});
    expect(failed.response.status).toBe(418);
    const stored = await record(failed.runId);
    expect(stored).toMatchObject({
      runId: failed.runId,
      flowId: `broken-${id}`,
      flowVersion: "1.0.0",
      trigger: { type: "http", id: "http-0" },
      status: "failed",
      error: { code: "BOOM", message: "no", runId: failed.runId, nodeId: "boom" },
      nodes: {
        start: { status: "ok", attempts: 1 },
        boom: { status: "failed", attempts: 1, error: { code: "BOOM", message: "no" } },
      },
      // A JSON route collects no events for a `failed` policy: a run that succeeds must not pay for them.
      events: { count: 0, stored: 0, lastId: 0 },
    });
    expect(stored!.expiresAt).toBe(stored!.endedAt + 7 * 86_400_000);
    const list = await api(`/_flows/runs?flow=broken-${id}`);
    expect(list.status).toBe(200);
    expect((list.json.runs as IndexEntry[]).map((r) => r.runId)).toEqual([failed.runId]);
  });

  it("with record: all, records an ok run with its output and its events", async () => {
    const id = crypto.randomUUID().slice(0, 8);
    const { post, record } = served(flows(id, { record: "all", retention: "1d" }));
    const ok = await post(`/double-${id}`, { n: 2 });
    const stored = await record(ok.runId);
    expect(stored).toMatchObject({
      status: "ok",
      output: { status: 200, headers: {}, body: { doubled: 4 } },
    });
    expect(stored!.expiresAt - stored!.endedAt).toBe(86_400_000);
    const events = await storedEvents(ok.runId);
    expect(stored!.events).toEqual({ count: events.length, stored: events.length, lastId: events.length });
    expect(events.map((e) => e.id)).toEqual(events.map((_, n) => n + 1));
    const types = events.map((e) => e.type);
    expect(types.slice(0, 2)).toEqual(["run.start", "node.start"]);
    expect(types.slice(-2)).toEqual(["run.end", "end"]);
    expect(types.filter((t) => t === "node.end")).toHaveLength(2);
  });

  it("with record: none, records nothing, not even a failure", async () => {
    const id = crypto.randomUUID().slice(0, 8);
    const { post, record } = served(flows(id, { record: "none" }));
    const failed = await post(`/broken-${id}`, {});
    expect(failed.response.status).toBe(418);
    expect(await record(failed.runId)).toBeUndefined();
  });

  it("takes the deployment's default for what a flow leaves out, and the flow's own over it", async () => {
    const id = crypto.randomUUID().slice(0, 8);
    const docs = flows(id);
    docs[1]!.runs = { record: "none" };
    const { post, record } = served(docs, { runs: { record: "all", maxRuns: 50 } });
    const ok = await post(`/double-${id}`, { n: 1 });
    expect((await record(ok.runId))?.status).toBe("ok");
    const failed = await post(`/broken-${id}`, {});
    expect(await record(failed.runId)).toBeUndefined();
  });

  it("keeps the events of a failed SSE run, with the ids of its stream", async () => {
    const id = crypto.randomUUID().slice(0, 8);
    const { post, record } = served(flows(id));
    const failed = await post(`/broken-${id}/sse`, {});
    const streamIds = [...failed.body.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
    const streamTypes = [...failed.body.matchAll(/^event: (.+)$/gm)].map((m) => m[1]);
    expect(streamTypes.at(-1)).toBe("error");
    const stored = await record(failed.runId);
    expect(stored?.trigger).toEqual({ type: "http", id: "live" });
    expect(stored?.events).toEqual({
      count: streamIds.length,
      stored: streamIds.length,
      lastId: streamIds.at(-1),
    });
    const events = await storedEvents(failed.runId);
    expect(events.map((e) => e.id)).toEqual(streamIds);
    expect(events.map((e) => e.type)).toEqual(streamTypes);
    expect(stored?.nodes.boom?.error).toMatchObject({ code: "BOOM", message: "no" });
  });

  it("records queue and cron runs, with their trigger", async () => {
    const id = crypto.randomUUID().slice(0, 8);
    const { worker, api } = served(flows(id));
    const batch = createMessageBatch(`jobs-${id}`, [
      { id: "m1", timestamp: new Date(), attempts: 1, body: { x: 1 } },
    ]);
    const ctx = createExecutionContext();
    await worker.queue(batch, ENV, ctx);
    await waitOnExecutionContext(ctx);
    const cronCtx = createExecutionContext();
    await worker.scheduled(
      createScheduledController({ cron: "0 5 * * *", scheduledTime: Date.now() }),
      ENV,
      cronCtx,
    );
    await waitOnExecutionContext(cronCtx);
    const list = await api(`/_flows/runs?flow=broken-${id}`);
    const triggers = (list.json.runs as IndexEntry[]).map((r) => r.trigger.type).sort();
    expect(triggers).toEqual(["cron", "queue"]);
  });
});

describe("recording runs: without the binding", () => {
  it("records nothing and serves as before; the API answers 503 RUNS_NOT_CONFIGURED saying how to bind it", async () => {
    const id = crypto.randomUUID().slice(0, 8);
    const bare = { FLOWS_ADMIN_TOKEN: TOKEN };
    const { post, api } = served(flows(id, { record: "all" }), {}, bare);
    const failed = await post(`/broken-${id}`, {});
    expect(failed.response.status).toBe(418);
    const answer = await api(`/_flows/runs/${failed.runId}`);
    expect(answer.status).toBe(503);
    expect(answer.json.error).toMatchObject({ code: "RUNS_NOT_CONFIGURED" });
    expect((answer.json.error as { message: string }).message).toContain("FLOWS_RUNS");
    expect((answer.json.error as { message: string }).message).toContain("FlowsRuns");
    // The binding is there but recording is off for this deployment: nothing either.
    const off = served(flows(`${id}-off`, { record: "all" }), { runs: { binding: false } });
    const again = await off.post(`/broken-${id}-off`, {});
    expect((await off.api(`/_flows/runs/${again.runId}`)).status).toBe(503);
  });

  it("logs one line when the store fails, and the answer is the run's", async () => {
    const id = crypto.randomUUID().slice(0, 8);
    const lines: Record<string, unknown>[] = [];
    const failing = {
      getByName: () => ({
        saveRun: () => Promise.reject(new Error("storage down")),
        addEntry: () => Promise.resolve([]),
      }),
    };
    const worker = createWorker(flows(id), { log: (line) => lines.push(line) });
    const ctx = createExecutionContext();
    const response = await worker.fetch(
      new Request(`http://flows.test/broken-${id}`, { method: "POST" }),
      { FLOWS_RUNS: failing },
      ctx,
    );
    await waitOnExecutionContext(ctx);
    expect(response.status).toBe(418);
    expect(lines.filter((l) => l.message === "run not recorded")).toEqual([
      {
        level: "error",
        message: "run not recorded",
        runId: response.headers.get("x-flow-run-id"),
        cause: "Error: storage down",
      },
    ]);
  });
});

describe("the run API", () => {
  const id = crypto.randomUUID().slice(0, 8);
  const { post, api } = served(flows(id));

  it("does not exist without the FLOWS_ADMIN_TOKEN secret: 404 ROUTE_NOT_FOUND", async () => {
    const { api: closed } = served(flows(id), {}, env);
    for (const path of ["/_flows/runs?flow=x", "/_flows/runs/some-id"]) {
      const answer = await closed(path);
      expect(answer.status).toBe(404);
      expect(answer.json.error).toMatchObject({ code: "ROUTE_NOT_FOUND" });
    }
  });

  it("answers 401 without a bearer token (with a challenge), 403 with a wrong one", async () => {
    const missing = await api("/_flows/runs/x", {});
    expect(missing.status).toBe(401);
    expect(missing.headers.get("www-authenticate")).toBe('Bearer realm="flows runs"');
    expect(missing.json.error).toMatchObject({
      code: "RUNS_UNAUTHORIZED",
      message: "the run API needs the header `Authorization: Bearer <FLOWS_ADMIN_TOKEN>`",
    });
    for (const authorization of [`Bearer ${TOKEN}x`, "Bearer wrong-token-wrong-token"]) {
      const wrong = await api(`/_flows/runs?flow=double-${id}`, { authorization });
      expect(wrong.status).toBe(403);
      expect(wrong.json.error).toMatchObject({ code: "RUNS_FORBIDDEN" });
    }
  });

  it("gives the record of a run just served, and 404 RUN_NOT_FOUND for one not stored", async () => {
    const failed = await post(`/broken-${id}`, {});
    const answer = await api(`/_flows/runs/${failed.runId}`);
    expect(answer.status).toBe(200);
    expect(answer.json).toMatchObject({ runId: failed.runId, status: "failed" });
    const missing = await api("/_flows/runs/not-a-run");
    expect(missing.status).toBe(404);
    expect(missing.json.error).toMatchObject({ code: "RUN_NOT_FOUND" });
  });

  it("checks the list's query: flow required and known, status, limit and cursor as documented", async () => {
    const cases: [string, string][] = [
      ["/_flows/runs", "RUNS_QUERY_INVALID"],
      ["/_flows/runs?flow=nope", "FLOW_NOT_FOUND"],
      [`/_flows/runs?flow=double-${id}&status=done`, "RUNS_QUERY_INVALID"],
      [`/_flows/runs?flow=double-${id}&limit=0`, "RUNS_QUERY_INVALID"],
      [`/_flows/runs?flow=double-${id}&limit=201`, "RUNS_QUERY_INVALID"],
      [`/_flows/runs?flow=double-${id}&cursor=zzz`, "RUNS_QUERY_INVALID"],
    ];
    for (const [path, code] of cases) {
      const answer = await api(path);
      expect([path, answer.json.error]).toMatchObject([path, { code }]);
    }
    const none = await api("/_flows/runs");
    expect((none.json.error as { message: string }).message).toBe(
      `\`flow\` is required: one of double-${id}, broken-${id}`,
    );
  });

  it("pages a flow's runs with limit and cursor, newest first", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await post(`/broken-${id}`, {})).runId);
    const first = await api(`/_flows/runs?flow=broken-${id}&status=failed&limit=2`);
    expect(first.status).toBe(200);
    const page1 = first.json.runs as IndexEntry[];
    expect(page1).toHaveLength(2);
    expect(typeof first.json.cursor).toBe("string");
    const second = await api(`/_flows/runs?flow=broken-${id}&limit=2&cursor=${first.json.cursor}`);
    const all = [...page1, ...(second.json.runs as IndexEntry[])].map((r) => r.runId);
    for (const runId of ids) expect(all).toContain(runId);
    expect(new Set(all).size).toBe(all.length);
  });
});

/** The stored events of a run, read from its object directly. */
async function storedEvents(runId: string) {
  return env.FLOWS_RUNS.getByName(`run:${runId}`).readEvents(0);
}
