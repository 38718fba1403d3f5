import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { DO_KINDS } from "../../capabilities/durable-objects/index.ts";
import type { FlowDocument } from "../../flows/ir/types.ts";
import { BUILTIN_KINDS, createRegistry, type NodeKind, type RunEvent } from "../../kernel/index.ts";
import { createWorker } from "./index.ts";

// A queue run whose isolate dies mid-flow: the first worker's run is aborted at a random moment and the worker
// thrown away (nothing in memory survives); the message is delivered again to a fresh worker, which resumes from
// the FlowsRuntime journal. Finished steps are replayed, not repeated; each effect is applied once.

const silent = { log: () => {} };

const pause: NodeKind = {
  spec: {
    kind: "test.pause",
    description: "Sleeps input `ms` on its signal.",
    effect: "pure",
    determinism: "strict",
    inputs: { ms: {} },
    outputs: { out: {} },
    configSchema: { type: "object" },
  },
  run: async (ctx) => {
    await ctx.sleep(Number(ctx.inputs.ms));
    return { out: true };
  },
};

function flow(queue: string, object: string): FlowDocument {
  const bump = (id: string, after: string[]) => ({
    id,
    kind: "do.increment",
    after,
    idempotencyKey: "${{ trigger.message.body.key }}",
    inputs: { object, key: `\${{ '${id}:' + trigger.message.body.key }}` },
  });
  return {
    flows: 1,
    id: "resume-after-kill",
    version: "1.0.0",
    bindings: { FLOW_STATE: { type: "durableObject", className: "FlowsState" } },
    triggers: [{ type: "queue", queue }],
    nodes: [
      bump("a", []),
      { id: "p1", kind: "test.pause", after: ["a"], inputs: { ms: 10 } },
      bump("b", ["p1"]),
      { id: "p2", kind: "test.pause", after: ["b"], inputs: { ms: 10 } },
      bump("c", ["p2"]),
    ],
  };
}

/** One delivery through a fresh worker; `signal` kills its run. Returns whether the message was acked. */
async function deliver(
  queue: string,
  object: string,
  message: { id: string; key: string; attempts: number },
  options: { signal?: AbortSignal; events?: RunEvent[] },
): Promise<boolean> {
  const worker = createWorker([flow(queue, object)], {
    registry: createRegistry(BUILTIN_KINDS, DO_KINDS, pause),
    log: () => {},
    runOptions: () => ({
      logger: silent,
      ...(options.signal && { signal: options.signal }),
      ...(options.events && { onEvent: (event: RunEvent) => options.events!.push(event) }),
    }),
  });
  const batch = createMessageBatch(queue, [
    { id: message.id, body: { key: message.key }, attempts: message.attempts, timestamp: Date.now() },
  ]);
  const ctx = createExecutionContext();
  await worker.queue(batch, env, ctx);
  const result = await getQueueResult(batch, ctx);
  return result.explicitAcks.includes(message.id);
}

describe("resume after a killed isolate", () => {
  it("replays the finished steps from the journal and applies each effect once (30 runs killed at random)", async () => {
    const run = crypto.randomUUID();
    const queue = `kill-${run}`;
    const object = `kill:${run}`;
    let killed = 0;
    let replayed = 0;
    for (let i = 0; i < 30; i++) {
      const message = { id: `k-${run}-${i}`, key: String(i), attempts: 1 };
      const controller = new AbortController();
      // Spread the kills over the run (about 25 ms long): before, between and after its effects.
      const timer = setTimeout(() => controller.abort(new Error("isolate killed")), (i * 37) % 30);
      const first = await deliver(queue, object, message, { signal: controller.signal });
      clearTimeout(timer);
      if (!first) killed++;
      const events: RunEvent[] = [];
      expect(await deliver(queue, object, { ...message, attempts: 2 }, { events })).toBe(true);
      replayed += events.filter((e) => e.type === "node.output" && "replayed" in e && e.replayed).length;
    }
    expect(killed).toBeGreaterThanOrEqual(15);
    expect(replayed).toBeGreaterThan(0);
    const state = env.FLOW_STATE.get(env.FLOW_STATE.idFromName(object));
    for (let i = 0; i < 30; i++)
      for (const step of ["a", "b", "c"]) expect(await state.get(`${step}:${i}`)).toBe(1);
  }, 60_000);

  it("retries a message whose journal could not be read, instead of dead-lettering it (JOURNAL_FAILED is transient)", async () => {
    const sent: unknown[] = [];
    let writes = 0;
    const write: NodeKind = {
      spec: {
        kind: "test.write",
        description: "Counts a write.",
        effect: "write",
        determinism: "best_effort",
        inputs: {},
        outputs: { out: {} },
        configSchema: { type: "object" },
      },
      run: () => ({ out: ++writes }),
    };
    const worker = createWorker(
      [
        {
          flows: 1,
          id: "journal-down",
          version: "1.0.0",
          bindings: { DLQ: { type: "queue", queue: "journal-down-dlq" } },
          triggers: [{ type: "queue", queue: "journal-down", deadLetterQueue: "journal-down-dlq" }],
          nodes: [{ id: "w", kind: "test.write" }],
        },
      ],
      {
        registry: createRegistry(BUILTIN_KINDS, write),
        log: () => {},
        runOptions: () => ({
          logger: silent,
          journal: {
            get: () => Promise.reject(new Error("journal store unreachable")),
            put: () => Promise.resolve(),
          },
        }),
      },
    );
    const batch = createMessageBatch("journal-down", [
      { id: "j-1", body: {}, attempts: 1, timestamp: Date.now() },
    ]);
    const ctx = createExecutionContext();
    await worker.queue(batch, { DLQ: { send: async (body: unknown) => void sent.push(body) } }, ctx);
    const result = await getQueueResult(batch, ctx);
    expect(result.retryMessages.map((m) => m.msgId)).toEqual(["j-1"]);
    expect(result.explicitAcks).toEqual([]);
    expect(sent).toEqual([]);
    expect(writes).toBe(0);
  });
});
