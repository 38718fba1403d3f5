import {
  createExecutionContext,
  createMessageBatch,
  createScheduledController,
  getQueueResult,
  introspectWorkflow,
  waitOnExecutionContext,
} from "cloudflare:test";
import { env } from "cloudflare:workers";
import { sign } from "@octokit/webhooks-methods";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ALL_CAPABILITY_KINDS } from "../../../capabilities/index.ts";
import { startDurableRun, type WorkflowBinding } from "../../../capabilities/workflows/start.ts";
import type { FlowDocument, NodeDecl } from "../../../flows/ir/types.ts";
import { BUILTIN_KINDS, createRegistry, type NodeKind } from "../../../kernel/index.ts";
import { createWorker } from "../index.ts";
import type { FlowsRuns } from "../runs/object.ts";

// Durable flows on the real local Workflows engine (Miniflare's, through the Workers test integration): a durable
// HTTP trigger answers 202 and the run goes on as an instance of FlowsWorkflow (exported by the test Worker's
// main, examples/worker.ts); events, sleeps and timeouts go through the platform's step API, with its
// introspection skipping sleeps and forcing timeouts.

const TOKEN = "durable-test-admin-token-0123456";
const AUTH = { authorization: `Bearer ${TOKEN}` };
const ENV = { ...env, FLOWS_ADMIN_TOKEN: TOKEN };
const workflow = (env as unknown as { FLOWS_WORKFLOW: Workflow }).FLOWS_WORKFLOW;
const kv = (env as unknown as { FLOW_KV: KVNamespace }).FLOW_KV;

/** `count`: a write that adds 1 to a KV counter per node and run (the effect a replay must not repeat). */
const countKind: NodeKind = {
  spec: {
    kind: "test.count",
    description: "adds 1 to counter `counts/<run>/<node>`",
    effect: "write",
    determinism: "best_effort",
    inputs: {},
    openInputs: true,
    outputs: { out: {} },
    configSchema: { type: "object" },
  },
  run: async (ctx) => {
    const key = `counts/${ctx.runId}/${ctx.nodeId}`;
    const n = Number((await kv.get(key)) ?? 0) + 1;
    await kv.put(key, String(n));
    return { out: n };
  },
};

/** `flaky`: a read that fails its first attempt in a run (retriable), then answers. */
const flakyKind: NodeKind = {
  spec: {
    kind: "test.flaky",
    description: "fails once per run",
    effect: "read",
    determinism: "stable",
    inputs: {},
    openInputs: true,
    outputs: { out: {} },
    configSchema: { type: "object" },
  },
  run: async (ctx) => {
    const key = `flaky/${ctx.runId}`;
    if ((await kv.get(key)) === null) {
      await kv.put(key, "failed once");
      throw new Error("the first attempt fails");
    }
    return { out: "second time lucky" };
  },
};

const registry = createRegistry(BUILTIN_KINDS, ALL_CAPABILITY_KINDS, countKind, flakyKind);

function durableFlow(id: string, nodes: NodeDecl[]): FlowDocument {
  return {
    flows: 1,
    id,
    version: "1.0.0",
    durable: true,
    triggers: [{ type: "http", method: "POST", path: `/${id}` }],
    nodes,
  };
}

const approve = durableFlow("dtest-approve", [
  { id: "first", kind: "test.count" },
  { id: "decision", kind: "wait", after: ["first"], config: { event: "decision", timeout: "2d" } },
  { id: "second", kind: "test.count", inputs: { by: "${{ nodes.decision.out.by }}" } },
  {
    id: "answer",
    kind: "respond",
    inputs: {
      body: "${{ { 'by': nodes.decision.out.by, 'change': trigger.body.change, 'n': nodes.second.out } }}",
    },
  },
]);
const remind = durableFlow("dtest-remind", [
  { id: "nap", kind: "sleep", config: { duration: "3d" } },
  { id: "after", kind: "test.count", after: ["nap"] },
  { id: "answer", kind: "respond", inputs: { body: "${{ nodes.after.out }}" } },
]);
const expire = durableFlow("dtest-expire", [
  { id: "decision", kind: "wait", config: { event: "decision", timeout: "1h" } },
]);
const retry = durableFlow("dtest-retry", [
  { id: "first", kind: "test.count" },
  { id: "shaky", kind: "test.flaky", after: ["first"], retry: { attempts: 3, delay: "1ms" } },
  { id: "answer", kind: "respond", inputs: { body: "${{ nodes.shaky.out }}" } },
]);

const delivered: FlowDocument = {
  ...durableFlow("dtest-delivered", [
    { id: "count", kind: "test.count" },
    { id: "answer", kind: "respond", inputs: { body: "${{ trigger.type }}" } },
  ]),
  bindings: { JOBS: { type: "queue", queue: "dtest-jobs" } },
  triggers: [
    { type: "queue", queue: "dtest-jobs" },
    { type: "cron", schedule: "*/7 * * * *" },
  ],
};

const GITHUB_SECRET = "durable-test-webhook-secret";
const reviewed: FlowDocument = {
  ...durableFlow("dtest-review", [
    { id: "count", kind: "test.count" },
    { id: "answer", kind: "respond", inputs: { body: "${{ trigger.deliveryId }}" } },
  ]),
  bindings: { GITHUB_WEBHOOK_SECRET: { type: "secret" } },
  triggers: [{ type: "github", events: ["pull_request.opened"], path: "/dtest/github" }],
};
/** `resume`: a flow that is not durable sending the approve flow's waiting run its decision. */
const resume: FlowDocument = {
  flows: 1,
  id: "dtest-resume",
  version: "1.0.0",
  triggers: [{ type: "http", method: "POST", path: "/dtest-resume" }],
  nodes: [
    {
      id: "send",
      kind: "durable.event",
      inputs: {
        runId: "${{ trigger.body.runId }}",
        type: "decision",
        payload: "${{ { 'by': 'the resume flow' } }}",
      },
    },
    { id: "answer", kind: "respond", inputs: { body: "${{ nodes.send.out }}" } },
  ],
};

/** A durable flow whose runs are not recorded (`runs: { record: none }`). */
const unrecorded: FlowDocument = {
  ...durableFlow("dtest-unrecorded", [{ id: "count", kind: "test.count" }]),
  runs: { record: "none" },
};

const worker = createWorker([approve, remind, expire, retry, delivered, reviewed, resume, unrecorded], {
  registry,
  log: () => {},
  viewer: true,
});

async function call(path: string, init: RequestInit = {}): Promise<Response> {
  const ctx = createExecutionContext();
  const response = await worker.fetch(new Request(`http://x${path}`, init), ENV, ctx);
  await waitOnExecutionContext(ctx);
  return response;
}

const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  call(path, {
    method: "POST",
    body: JSON.stringify(body),
    headers: { "content-type": "application/json", ...headers },
  });

async function start(flowId: string, body: unknown): Promise<{ runId: string; statusUrl: string }> {
  const response = await post(`/${flowId}`, body);
  expect(response.status).toBe(202);
  return (await response.json()) as { runId: string; statusUrl: string };
}

const statusOf = async (runId: string): Promise<Record<string, unknown>> =>
  (await (await call(`/_flows/runs/${runId}`, { headers: AUTH })).json()) as Record<string, unknown>;

/** The line of `runId` in its flow's run list (`GET /_flows/runs?flow=`), if listed. */
const listed = async (flowId: string, runId: string, base = "/_flows/runs", query = "") => {
  const page = (await (await call(`${base}?flow=${flowId}${query}`, { headers: AUTH })).json()) as {
    runs: Array<Record<string, unknown>>;
  };
  return page.runs.find((run) => run.runId === runId);
};

const counter = async (runId: string, nodeId: string): Promise<number | null> => {
  const value = await kv.get(`counts/${runId}/${nodeId}`);
  return value === null ? null : Number(value);
};

let session: Awaited<ReturnType<typeof introspectWorkflow>> | undefined;
afterEach(async () => {
  await session?.dispose();
  session = undefined;
});

describe("durable flows on Workflows", () => {
  it("answers 202 with the run id, waits for an event whose payload reaches the next node, and ends ok", async () => {
    session = await introspectWorkflow(workflow);
    const { runId, statusUrl } = await start("dtest-approve", { change: "deploy 42" });
    expect(runId).toMatch(/^dtest-approve_[0-9a-f-]{36}$/);
    expect(statusUrl).toBe(`/_flows/runs/${runId}`);
    const [instance] = await session.get();
    await instance!.waitForStepResult({ name: "first#1" });
    // Waiting, and for what: noted by the run in its run:<id> object (the local engine itself says "running").
    await vi.waitFor(async () =>
      expect(await statusOf(runId)).toMatchObject({
        runId,
        flowId: "dtest-approve",
        durable: true,
        status: "waiting",
        instanceStatus: "running",
        waitingFor: [{ step: "decision#1", kind: "event", event: "decision", until: expect.any(String) }],
      }),
    );
    // Listed with the flow's other runs, waiting, from its record (written by the instance when it started).
    const waiting = await listed("dtest-approve", runId);
    expect(waiting).toMatchObject({
      flowId: "dtest-approve",
      trigger: { type: "http" },
      status: "waiting",
      waitingFor: [{ step: "decision#1", event: "decision" }],
    });
    expect(await listed("dtest-approve", runId, "/_flows/runs", "&status=waiting")).toMatchObject({
      status: "waiting",
    });
    expect(await listed("dtest-approve", runId, "/_flows/runs", "&status=running")).toMatchObject({
      status: "waiting",
    });
    const sent = await post(`/_flows/runs/${runId}/events/decision`, { by: "ada" }, AUTH);
    expect(sent.status).toBe(202);
    await instance!.waitForStatus("complete");
    const done = await statusOf(runId);
    expect(done).toMatchObject({
      status: "ok",
      instanceStatus: "complete",
      output: { status: 200, body: { by: "ada", change: "deploy 42", n: 1 } },
      startedAt: waiting!.startedAt,
      trigger: waiting!.trigger,
    });
    expect(done.waitingFor).toBeUndefined();
    expect(done.endedAt).toBeGreaterThanOrEqual(waiting!.startedAt as number);
    // The record's start is the instance's, though the last replay began after the event.
    expect(await listed("dtest-approve", runId)).toMatchObject({
      status: "ok",
      startedAt: waiting!.startedAt,
    });
    expect(await listed("dtest-approve", runId, "/_flows/runs")).not.toHaveProperty("waitingFor");
    expect(await listed("dtest-approve", runId, "/_flows/runs", "&status=waiting")).toBeUndefined();
    expect([await counter(runId, "first"), await counter(runId, "second")]).toEqual([1, 1]);
  });

  it("sleeps for days under time skipping", async () => {
    session = await introspectWorkflow(workflow);
    await session.modifyAll(async (m) => {
      await m.disableSleeps();
    });
    const { runId } = await start("dtest-remind", {});
    const [instance] = await session.get();
    await instance!.waitForStatus("complete");
    expect(await statusOf(runId)).toMatchObject({ status: "ok", output: { body: 1 } });
  });

  it("fails a wait that saw no event with WAIT_TIMEOUT, in the run's envelope", async () => {
    session = await introspectWorkflow(workflow);
    await session.modifyAll(async (m) => {
      await m.forceEventTimeout({ name: "decision#1" });
    });
    const { runId } = await start("dtest-expire", {});
    const [instance] = await session.get();
    await instance!.waitForStatus("errored");
    expect(await statusOf(runId)).toMatchObject({
      status: "failed",
      error: { code: "WAIT_TIMEOUT", details: { event: "decision", timeoutMs: 3_600_000 } },
    });
    // Listed with its flow's runs, failed (every durable run is recorded, not only by the default policy).
    expect(await listed("dtest-expire", runId)).toMatchObject({ status: "failed" });
  });

  it("leaves a failed attempt's retry to the platform, without repeating the finished step", async () => {
    session = await introspectWorkflow(workflow);
    await session.modifyAll(async (m) => {
      await m.disableRetryDelays();
    });
    const { runId } = await start("dtest-retry", {});
    const [instance] = await session.get();
    await instance!.waitForStatus("complete");
    expect(await statusOf(runId)).toMatchObject({ status: "ok", output: { body: "second time lucky" } });
    expect(await counter(runId, "first")).toBe(1);
  });

  it("does not run a step whose result the engine has recorded (its effect happens once, the first time)", async () => {
    session = await introspectWorkflow(workflow);
    await session.modifyAll(async (m) => {
      await m.mockStepResult({ name: "first#1" }, { out: 7 });
      await m.mockEvent({ type: "decision", payload: { by: "grace" } });
    });
    const { runId } = await start("dtest-approve", { change: "x" });
    const [instance] = await session.get();
    await instance!.waitForStatus("complete");
    expect(await counter(runId, "first")).toBeNull();
    expect(await counter(runId, "second")).toBe(1);
  });

  it("cancels a waiting run: its instance is terminated and the run API says cancelled", async () => {
    session = await introspectWorkflow(workflow);
    const { runId } = await start("dtest-approve", { change: "never" });
    const [instance] = await session.get();
    await instance!.waitForStepResult({ name: "first#1" });
    const runObject = () => {
      const runs = (env as unknown as { FLOWS_RUNS: DurableObjectNamespace<FlowsRuns> }).FLOWS_RUNS;
      return runs.get(runs.idFromName(`run:${runId}`));
    };
    await vi.waitFor(async () => expect(await runObject().waits()).toHaveLength(1));
    const cancelled = await call(`/_flows/runs/${runId}/cancel`, { method: "POST", headers: AUTH });
    expect(await cancelled.json()).toEqual({ runId, status: "cancelled" });
    await instance!.waitForStatus("terminated");
    const view = await statusOf(runId);
    expect(view).toMatchObject({ status: "cancelled", instanceStatus: "terminated" });
    expect(view.waitingFor).toBeUndefined();
    // The terminated instance writes nothing more: the cancel wrote its record, which ended its wait note.
    expect(await runObject().waits()).toEqual([]);
    expect(await listed("dtest-approve", runId)).toMatchObject({ status: "cancelled" });
    expect(await runObject().getRun()).toMatchObject({
      status: "cancelled",
      durable: true,
      error: { code: "RUN_CANCELLED" },
    });
    const again = await call(`/_flows/runs/${runId}/cancel`, { method: "POST", headers: AUTH });
    expect(again.status).toBe(409);
    const late = await post(`/_flows/runs/${runId}/events/decision`, { by: "late" }, AUTH);
    expect(((await late.json()) as { error: { code: string } }).error.code).toBe("RUN_NOT_RUNNING");
  });

  it("lists no run of a durable flow that records none", async () => {
    session = await introspectWorkflow(workflow);
    const unrecordedRun = await start("dtest-unrecorded", {});
    const [second] = await session.get();
    await second!.waitForStatus("complete");
    expect(await statusOf(unrecordedRun.runId)).toMatchObject({ status: "ok" });
    expect(await statusOf(unrecordedRun.runId)).not.toHaveProperty("startedAt");
    expect(await listed("dtest-unrecorded", unrecordedRun.runId)).toBeUndefined();
  });

  it("shows a durable run in the run viewer: started there, waiting in the history and in the run's view", async () => {
    session = await introspectWorkflow(workflow);
    const started = await post(
      "/_flows/api/flows/dtest-approve/runs",
      { trigger: { body: { change: "v" } } },
      AUTH,
    );
    expect(started.status).toBe(202);
    const { runId, durable } = (await started.json()) as { runId: string; durable: boolean };
    expect(durable).toBe(true);
    const [instance] = await session.get();
    await instance!.waitForStepResult({ name: "first#1" });
    await vi.waitFor(async () =>
      expect(await listed("dtest-approve", runId, "/_flows/api/runs")).toMatchObject({
        status: "waiting",
        trigger: { type: "viewer" },
        waitingFor: [{ kind: "event", event: "decision" }],
      }),
    );
    const shown = (await (await call(`/_flows/api/runs/${runId}`, { headers: AUTH })).json()) as Record<
      string,
      unknown
    >;
    expect(shown).toMatchObject({
      runId,
      durable: true,
      status: "waiting",
      waitingFor: [{ event: "decision" }],
    });
    await post(`/_flows/runs/${runId}/events/decision`, { by: "viewer" }, AUTH);
    await instance!.waitForStatus("complete");
    expect(await listed("dtest-approve", runId, "/_flows/api/runs")).toMatchObject({ status: "ok" });
  });

  it("starts one instance per delivery key: the same key again starts nothing", async () => {
    session = await introspectWorkflow(workflow);
    await session.modifyAll(async (m) => {
      await m.disableSleeps();
    });
    const binding = workflow as unknown as WorkflowBinding;
    const first = await startDurableRun(binding, "dtest-remind", "delivery-1", {}, "test");
    const second = await startDurableRun(binding, "dtest-remind", "delivery-1", {}, "test");
    expect(first).toEqual({ runId: "dtest-remind_delivery-1", created: true });
    expect(second).toEqual({ runId: "dtest-remind_delivery-1", created: false });
    const instances = await session.get();
    expect(instances).toHaveLength(1);
    await instances[0]!.waitForStatus("complete");
  });

  it("starts a queue message's run keyed by the message id: a redelivery starts no second instance", async () => {
    session = await introspectWorkflow(workflow);
    const batch = () =>
      createMessageBatch("dtest-jobs", [{ id: "msg-1", timestamp: Date.now(), attempts: 1, body: { n: 1 } }]);
    for (const attempt of [1, 2]) {
      const ctx = createExecutionContext();
      const sent = batch();
      await worker.queue(sent, env, ctx);
      expect((await getQueueResult(sent, ctx)).explicitAcks, `delivery ${attempt}`).toEqual(["msg-1"]);
    }
    const instances = await session.get();
    expect(instances).toHaveLength(1);
    await instances[0]!.waitForStatus("complete");
    expect(await statusOf("dtest-delivered_msg-1")).toMatchObject({
      status: "ok",
      output: { body: "queue" },
    });
    expect(await counter("dtest-delivered_msg-1", "count")).toBe(1);
  });

  it("starts a cron tick's run keyed by its trigger and scheduled time: the same tick twice starts one", async () => {
    session = await introspectWorkflow(workflow);
    const at = Date.UTC(2026, 11, 3, 9, 7);
    for (const _ of [1, 2]) {
      const ctx = createExecutionContext();
      await worker.scheduled(createScheduledController({ cron: "*/7 * * * *", scheduledTime: at }), env, ctx);
      await waitOnExecutionContext(ctx);
    }
    const instances = await session.get();
    expect(instances).toHaveLength(1);
    await instances[0]!.waitForStatus("complete");
    const runId = `dtest-delivered_cron-${at}`;
    expect(await statusOf(runId)).toMatchObject({ status: "ok", output: { body: "cron" } });
  });

  it("starts a GitHub delivery's run keyed by X-GitHub-Delivery: a redelivery starts no second instance", async () => {
    session = await introspectWorkflow(workflow);
    const body = JSON.stringify({ action: "opened", number: 7, installation: { id: 1 } });
    const deliver = async () => {
      const ctx = createExecutionContext();
      const headers = {
        "content-type": "application/json",
        "x-github-event": "pull_request",
        "x-github-delivery": "d5a1c3e0-0000-4000-8000-000000000007",
        "x-hub-signature-256": await sign(GITHUB_SECRET, body),
      };
      const response = await worker.fetch(
        new Request("http://x/dtest/github", { method: "POST", headers, body }),
        { ...ENV, GITHUB_WEBHOOK_SECRET: GITHUB_SECRET },
        ctx,
      );
      await waitOnExecutionContext(ctx);
      return response;
    };
    expect((await deliver()).status).toBeLessThan(300);
    expect((await deliver()).status).toBeLessThan(300);
    const instances = await session.get();
    expect(instances).toHaveLength(1);
    await instances[0]!.waitForStatus("complete");
    const runId = "dtest-review_d5a1c3e0-0000-4000-8000-000000000007";
    expect(await statusOf(runId)).toMatchObject({
      status: "ok",
      output: { body: "d5a1c3e0-0000-4000-8000-000000000007" },
    });
  });

  it("resumes a waiting run from another flow with a durable.event node", async () => {
    session = await introspectWorkflow(workflow);
    const { runId } = await start("dtest-approve", { change: "resumed" });
    const [instance] = await session.get();
    await instance!.waitForStepResult({ name: "first#1" });
    const sent = await post("/dtest-resume", { runId });
    expect(await sent.json()).toEqual({ runId, type: "decision" });
    await instance!.waitForStatus("complete");
    expect(await statusOf(runId)).toMatchObject({
      output: { body: { by: "the resume flow", change: "resumed" } },
    });
    const ended = await post("/dtest-resume", { runId });
    expect(((await ended.json()) as { error: { code: string } }).error.code).toBe("DURABLE_RUN_NOT_FOUND");
  });

  it("answers the run API's durable routes with the envelope for what it cannot do", async () => {
    const unknown = await post("/_flows/runs/dtest-approve_nope/events/decision", {}, AUTH);
    expect(unknown.status).toBe(404);
    const badType = await post("/_flows/runs/dtest-approve_nope/events/bad%20type", {}, AUTH);
    expect(((await badType.json()) as { error: { code: string } }).error.code).toBe("EVENT_INVALID");
    const notDurable = await post(
      "/_flows/runs/7c4b7c2e-1111-4222-8333-944445555666/events/decision",
      {},
      AUTH,
    );
    expect(((await notDurable.json()) as { error: { code: string } }).error.code).toBe("RUN_NOT_FOUND");
    const open = await post("/_flows/runs/dtest-approve_nope/events/decision", {});
    expect(open.status).toBe(401);
    const status = await call("/_flows/runs/dtest-approve_nope", { headers: AUTH });
    expect(status.status).toBe(404);
  });
});
