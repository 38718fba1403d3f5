import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import type { FlowDocument } from "../../../flows/ir/types.ts";
import { createWorker } from "../index.ts";
import type { RunRecord } from "./record.ts";

// Runs that outlive their connection (onDisconnect: continue): the run lives in its run:<id> FlowsRuns object
// (the real local one), a client that leaves does not stop it, a reconnect with Last-Event-ID (to the route, or
// to /_flows/runs/:id/events) gets what came after that id and then the live rest, with no gap and no duplicate;
// cancel stops it; rerun starts the same version and input again.

const TOKEN = "continuing-test-admin-token-0123";
const AUTH = { authorization: `Bearer ${TOKEN}` };
const ENV = { ...env, FLOWS_ADMIN_TOKEN: TOKEN };
const quiet = { log: () => {} };

/** A flow of `steps` delays of `stepMs` each, served as a continuing SSE route, and a JSON route. */
function flow(id: string, steps: number, stepMs: number, version = "1.0.0"): FlowDocument {
  const nodes: FlowDocument["nodes"] = [
    { id: "s0", kind: "transform", inputs: { n: "${{ trigger.body.n }}" } },
  ];
  for (let i = 1; i <= steps; i++)
    nodes.push({
      id: `s${i}`,
      kind: "delay",
      config: { duration: `${stepMs}ms` },
      inputs: { value: `\${{ nodes.s${i - 1}.out }}` },
    });
  nodes.push({ id: "done", kind: "transform", inputs: { n: `\${{ nodes.s${steps}.out.n * 2 }}` } });
  return {
    flows: 1,
    id,
    version,
    triggers: [
      {
        type: "http",
        id: "live",
        method: "POST",
        path: `/${id}`,
        response: "sse",
        onDisconnect: "continue",
      },
      { type: "http", id: "json", method: "POST", path: `/${id}/json` },
    ],
    nodes,
    output: "done",
    runs: { record: "all" },
  };
}

interface Frame {
  event: string;
  id: string;
  data: string;
}

/** The frames of SSE text (comments and retry lines left out). */
function framesOf(text: string): Frame[] {
  const frames: Frame[] = [];
  for (const block of text.split("\n\n")) {
    const frame: Partial<Frame> = {};
    for (const line of block.split("\n")) {
      const at = line.indexOf(": ");
      if (at < 0) continue;
      const [field, value] = [line.slice(0, at), line.slice(at + 2)];
      if (field === "event" || field === "id" || field === "data") frame[field] = value;
    }
    if (frame.id !== undefined) frames.push(frame as Frame);
  }
  return frames;
}

const seqOf = (frame: Frame): number => Number(frame.id.split(":")[1]);

function served(docs: FlowDocument[]) {
  const worker = createWorker(docs, quiet);
  const request = async (path: string, init: RequestInit = {}) => {
    const ctx = createExecutionContext();
    const response = await worker.fetch(new Request(`http://flows.test${path}`, init), ENV, ctx);
    return { response, ctx };
  };
  /** Reads a stream until `count` frames came (then leaves: cancels it), or to its end. */
  const readFrames = async (response: Response, count = Number.POSITIVE_INFINITY) => {
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let text = "";
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
      if (framesOf(text).length >= count) {
        await reader.cancel();
        break;
      }
    }
    return framesOf(text).slice(0, count === Number.POSITIVE_INFINITY ? undefined : count);
  };
  const start = (path: string, n: number) =>
    request(path, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ n }),
    });
  const api = async (path: string, init: RequestInit = {}) => {
    const { response, ctx } = await request(path, {
      ...init,
      headers: { ...AUTH, ...(init.headers as Record<string, string>) },
    });
    const text = await response.text();
    await waitOnExecutionContext(ctx);
    return { status: response.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  };
  return { worker, request, readFrames, start, api };
}

describe("a continuing SSE route", () => {
  it("goes on when the client leaves; a reconnect to the route with Last-Event-ID gets the rest, no gap, no duplicate", async () => {
    const id = `cont-${crypto.randomUUID().slice(0, 8)}`;
    const { start, request, readFrames, api } = served([flow(id, 6, 40)]);
    const first = await start(`/${id}`, 21);
    expect(first.response.status).toBe(200);
    expect(first.response.headers.get("content-type")).toMatch(/text\/event-stream/);
    const runId = first.response.headers.get("x-flow-run-id")!;
    const before = await readFrames(first.response, 3);
    expect(before.map((f) => f.id)).toEqual([`${runId}:1`, `${runId}:2`, `${runId}:3`]);
    // The client left after 3 events; the run goes on in its object. The browser reconnects to the same URL.
    const again = await request(`/${id}`, {
      method: "POST",
      headers: { "last-event-id": `${runId}:3`, "content-type": "application/json" },
      body: JSON.stringify({ n: 999 }),
    });
    expect(again.response.status).toBe(200);
    expect(again.response.headers.get("x-flow-run-id")).toBe(runId);
    const after = await readFrames(again.response);
    const all = [...before, ...after];
    expect(all.map(seqOf)).toEqual(all.map((_, i) => i + 1));
    expect(after.at(-1)).toMatchObject({ event: "end" });
    expect(JSON.parse(after.at(-1)!.data)).toMatchObject({ runId, status: "ok", output: { n: 42 } });
    // Reconnecting after the end: 204, so an EventSource stops.
    const ended = await request(`/${id}`, {
      method: "POST",
      headers: { "last-event-id": after.at(-1)!.id },
    });
    expect(ended.response.status).toBe(204);
    // The record is final, with every event stored and the input kept for a rerun.
    await vi.waitFor(async () => {
      const record = (await api(`/_flows/runs/${runId}`)).json as unknown as RunRecord;
      expect(record.status).toBe("ok");
    });
    const record = (await api(`/_flows/runs/${runId}`)).json as unknown as RunRecord;
    expect(record).toMatchObject({ flowId: id, trigger: { type: "http", id: "live" }, output: { n: 42 } });
    expect(record.events).toEqual({ count: all.length, stored: all.length, lastId: all.length });
    expect(record.input).toMatchObject({ type: "http", body: { n: 21 } });
    const listed = await api(`/_flows/runs?flow=${id}`);
    expect((listed.json.runs as { runId: string }[]).map((r) => r.runId)).toEqual([runId]);
  });

  it("GET /_flows/runs/:id/events resumes after Last-Event-ID (header or ?lastEventId=) and follows live", async () => {
    const id = `cont-${crypto.randomUUID().slice(0, 8)}`;
    const { start, request, readFrames } = served([flow(id, 5, 40)]);
    const first = await start(`/${id}`, 1);
    const runId = first.response.headers.get("x-flow-run-id")!;
    const before = await readFrames(first.response, 2);
    const viaQuery = await request(
      `/_flows/runs/${runId}/events?lastEventId=${encodeURIComponent(before[1]!.id)}`,
      {
        headers: AUTH,
      },
    );
    expect(viaQuery.response.status).toBe(200);
    const rest = await readFrames(viaQuery.response);
    expect([...before, ...rest].map(seqOf)).toEqual([...before, ...rest].map((_, i) => i + 1));
    expect(rest.at(-1)!.event).toBe("end");
    // After the end the log is still there: a bare number works too, and nothing after the last is 204.
    const replay = await request(`/_flows/runs/${runId}/events`, {
      headers: { ...AUTH, "last-event-id": "4" },
    });
    expect((await readFrames(replay.response)).map(seqOf)[0]).toBe(5);
    const none = await request(`/_flows/runs/${runId}/events`, {
      headers: { ...AUTH, "last-event-id": rest.at(-1)!.id },
    });
    expect(none.response.status).toBe(204);
    const other = await request(`/_flows/runs/${runId}/events`, {
      headers: { ...AUTH, "last-event-id": "someone-else:3" },
    });
    expect(other.response.status).toBe(400);
    expect(((await other.response.json()) as { error: { code: string } }).error.code).toBe(
      "RUNS_QUERY_INVALID",
    );
    const closed = await request(`/_flows/runs/${runId}/events`);
    expect(closed.response.status).toBe(401);
  });

  it("a reconnect naming a run of another flow, or no run, is 404 RUN_NOT_FOUND", async () => {
    const id = `cont-${crypto.randomUUID().slice(0, 8)}`;
    const { request } = served([flow(id, 1, 1)]);
    const unknown = await request(`/${id}`, {
      method: "POST",
      headers: { "last-event-id": `${crypto.randomUUID()}:3` },
    });
    expect(unknown.response.status).toBe(404);
    expect(((await unknown.response.json()) as { error: { code: string } }).error.code).toBe("RUN_NOT_FOUND");
  });

  it("POST /_flows/runs/:id/cancel stops a continuing run: it ends cancelled and the waiting node saw the abort", async () => {
    const id = `cont-${crypto.randomUUID().slice(0, 8)}`;
    const { start, readFrames, api } = served([flow(id, 1, 60_000)]);
    const first = await start(`/${id}`, 1);
    const runId = first.response.headers.get("x-flow-run-id")!;
    // Wait until the delay node started, then leave.
    const seen = await readFrames(first.response, 4);
    expect(seen.map((f) => f.event)).toContain("node.start");
    const asked = Date.now();
    const cancelled = await api(`/_flows/runs/${runId}/cancel`, { method: "POST" });
    const tookMs = Date.now() - asked;
    expect(cancelled).toEqual({ status: 200, json: { runId, status: "cancelled" } });
    const record = (await api(`/_flows/runs/${runId}`)).json as unknown as RunRecord;
    expect(record, JSON.stringify(record)).toMatchObject({ status: "cancelled" });
    // The waiting node was aborted (its sleep ended with the run's cancellation), and no later node started.
    expect(record.nodes.s1).toMatchObject({ status: "failed", error: { code: "RUN_CANCELLED" } });
    expect(record.nodes.done).toBeUndefined();
    console.log(`cancel of a continuing run answered after ${tookMs} ms (the delay was 60 s)`);
    const twice = await api(`/_flows/runs/${runId}/cancel`, { method: "POST" });
    expect(twice.status).toBe(409);
    expect((twice.json.error as { code: string }).code).toBe("RUN_NOT_RUNNING");
    const unknown = await api(`/_flows/runs/${crypto.randomUUID()}/cancel`, { method: "POST" });
    expect(unknown.status).toBe(404);
  });

  it("POST /_flows/runs/:id/rerun: same version and input, new id, same output; another version is refused", async () => {
    const id = `cont-${crypto.randomUUID().slice(0, 8)}`;
    const { request, api } = served([flow(id, 1, 1)]);
    const ctx = createExecutionContext();
    const { response } = await request(`/${id}/json`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer not-stored" },
      body: JSON.stringify({ n: 5 }),
    });
    const runId = response.headers.get("x-flow-run-id")!;
    expect(await response.json()).toEqual({ n: 10 });
    await waitOnExecutionContext(ctx);
    await vi.waitFor(async () => expect((await api(`/_flows/runs/${runId}`)).status).toBe(200));
    const stored = (await api(`/_flows/runs/${runId}`)).json as unknown as RunRecord;
    // Credentials are never stored with the input.
    expect((stored.input as { headers: Record<string, string> }).headers.authorization).toBeUndefined();
    const rerun = await api(`/_flows/runs/${runId}/rerun`, { method: "POST" });
    expect(rerun.status).toBe(200);
    expect(rerun.json).toMatchObject({ rerunOf: runId, status: "ok", output: { n: 10 } });
    expect(rerun.json.runId).not.toBe(runId);
    await vi.waitFor(async () =>
      expect((await api(`/_flows/runs/${rerun.json.runId}`)).json).toMatchObject({ rerunOf: runId }),
    );
    // A continuing run reruns in an object of its own: 202 with the new id.
    const live = await request(`/${id}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ n: 7 }),
    });
    const liveId = live.response.headers.get("x-flow-run-id")!;
    await live.response.text();
    await vi.waitFor(async () =>
      expect(((await api(`/_flows/runs/${liveId}`)).json as { status: string }).status).toBe("ok"),
    );
    const again = await api(`/_flows/runs/${liveId}/rerun`, { method: "POST" });
    expect(again.status).toBe(202);
    expect(again.json).toMatchObject({ rerunOf: liveId, status: "running" });
    await vi.waitFor(async () =>
      expect((await api(`/_flows/runs/${again.json.runId}`)).json).toMatchObject({
        status: "ok",
        output: { n: 14 },
      }),
    );
    // The flow is now deployed at another version: its old runs cannot be rerun.
    const { api: apiV2 } = served([flow(id, 1, 1, "2.0.0")]);
    const refused = await apiV2(`/_flows/runs/${runId}/rerun`, { method: "POST" });
    expect(refused.status).toBe(409);
    expect(refused.json.error).toMatchObject({
      code: "RUN_VERSION_CHANGED",
      details: { recorded: "1.0.0", deployed: "2.0.0" },
    });
  });
});
