import {
  createExecutionContext,
  createMessageBatch,
  createScheduledController,
  getQueueResult,
  waitOnExecutionContext,
} from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { FlowDocument } from "../../flows/ir/types.ts";
import { BUILTIN_KINDS, createRegistry, type NodeKind } from "../../kernel/index.ts";
import { createWorker } from "./index.ts";

// `test.flaky` fails retryably; a `fail` node fails for good; anything else succeeds and is recorded in KV.
const flaky: NodeKind = {
  spec: {
    kind: "test.flaky",
    description: "Throws a plain (retryable) error.",
    effect: "pure",
    determinism: "strict",
    inputs: {},
    outputs: { out: {} },
    configSchema: { type: "object" },
  },
  run: () => {
    throw new Error("transient outage");
  },
};

const record: NodeKind = {
  spec: {
    kind: "test.record",
    description: "Writes input `value` to FLOW_KV under input `key`.",
    effect: "write",
    determinism: "best_effort",
    inputs: { key: { required: true }, value: {} },
    outputs: { out: {} },
    configSchema: { type: "object" },
  },
  run: async (ctx) => {
    await (ctx.env.FLOW_KV as KVNamespace).put(
      String(ctx.inputs.key),
      JSON.stringify(ctx.inputs.value ?? null),
    );
    return { out: true };
  },
};

const jobs: FlowDocument = {
  flows: 1,
  id: "jobs",
  version: "1.0.0",
  bindings: { DLQ: { type: "queue", queue: "jobs-dlq" } },
  triggers: [{ type: "queue", queue: "jobs", maxRetries: 3, retryDelay: "10s", deadLetterQueue: "jobs-dlq" }],
  nodes: [
    {
      id: "route",
      kind: "switch",
      inputs: { value: "${{ trigger.message.body.mode }}" },
      config: {
        cases: [
          { port: "transient", when: "input.value == 'transient'" },
          { port: "permanent", when: "input.value == 'permanent'" },
        ],
        default: "ok",
      },
    },
    {
      id: "outage",
      kind: "test.flaky",
      after: [],
      inputs: {},
      when: "${{ trigger.message.body.mode == 'transient' }}",
    },
    {
      id: "refuse",
      kind: "fail",
      config: { code: "JOB_REJECTED" },
      inputs: { message: "${{ 'rejected ' + string(nodes.route.permanent) }}" },
    },
    {
      id: "save",
      kind: "test.record",
      inputs: { key: "${{ 'job:' + trigger.message.id }}", value: "${{ nodes.route.ok }}" },
    },
  ],
};

const report: FlowDocument = {
  flows: 1,
  id: "report",
  version: "1.0.0",
  triggers: [{ type: "cron", schedule: "*/5 * * * *" }],
  nodes: [
    {
      id: "save",
      kind: "test.record",
      inputs: { key: "cron:${{ trigger.scheduledTime }}", value: "${{ trigger.cron }}" },
    },
  ],
};

const silent = { log: () => {} };
const worker = createWorker([jobs, report], {
  registry: createRegistry(BUILTIN_KINDS, flaky, record),
  log: () => {},
  runOptions: () => ({ logger: silent }),
});

describe("Workers host: queue", () => {
  it("runs one flow per message: ack on success, retry with backoff on a transient failure, dead-letter a permanent one", async () => {
    const deadLetters: unknown[] = [];
    const dlq = { send: async (body: unknown) => void deadLetters.push(body) };
    const now = Date.now();
    const batch = createMessageBatch("jobs", [
      { id: "m-ok", timestamp: now, attempts: 1, body: { mode: "fine" } },
      { id: "m-transient", timestamp: now, attempts: 2, body: { mode: "transient" } },
      { id: "m-permanent", timestamp: now, attempts: 1, body: { mode: "permanent" } },
    ]);
    const ctx = createExecutionContext();
    await worker.queue(batch, { ...env, DLQ: dlq }, ctx);
    const result = await getQueueResult(batch, ctx);
    expect(result.explicitAcks.sort()).toEqual(["m-ok", "m-permanent"]);
    // (The test harness records which messages were retried, not their delay: see queue.test.ts for backoff.)
    expect(result.retryMessages.map((m) => m.msgId)).toEqual(["m-transient"]);
    expect(deadLetters).toEqual([
      expect.objectContaining({
        id: "m-permanent",
        body: { mode: "permanent" },
        error: expect.objectContaining({ code: "JOB_REJECTED" }),
      }),
    ]);
    expect(JSON.parse((await env.FLOW_KV.get("job:m-ok"))!)).toBe("fine");
  });

  it("retries every message of a queue no flow consumes", async () => {
    const batch = createMessageBatch("unknown-queue", [
      { id: "m1", timestamp: Date.now(), attempts: 1, body: {} },
    ]);
    const ctx = createExecutionContext();
    await worker.queue(batch, env, ctx);
    expect((await getQueueResult(batch, ctx)).retryBatch.retry).toBe(true);
  });
});

describe("Workers host: cron", () => {
  it("runs the flows whose schedule fired, under waitUntil, and no others", async () => {
    const at = Date.UTC(2026, 0, 1, 0, 5);
    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController({ cron: "*/5 * * * *", scheduledTime: at }), env, ctx);
    await waitOnExecutionContext(ctx);
    expect(JSON.parse((await env.FLOW_KV.get(`cron:${new Date(at).toISOString()}`))!)).toBe("*/5 * * * *");

    const other = Date.UTC(2026, 0, 1, 1, 0);
    const ctx2 = createExecutionContext();
    await worker.scheduled(createScheduledController({ cron: "0 * * * *", scheduledTime: other }), env, ctx2);
    await waitOnExecutionContext(ctx2);
    expect(await env.FLOW_KV.get(`cron:${new Date(other).toISOString()}`)).toBeNull();
  });
});
