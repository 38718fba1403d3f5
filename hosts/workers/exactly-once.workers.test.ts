import {
  createExecutionContext,
  createMessageBatch,
  getQueueResult,
  runInDurableObject,
} from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { DO_KINDS } from "../../capabilities/durable-objects/index.ts";
import type { FlowDocument, NodeDecl } from "../../flows/ir/types.ts";
import {
  BUILTIN_KINDS,
  createRegistry,
  FlowError,
  type NodeKind,
  type RunEvent,
  type RunOptions,
} from "../../kernel/index.ts";
import { seededRandom } from "../../test/random.ts";
import { createWorker, type FlowsWorker } from "./index.ts";

// Exactly-once effects from at-least-once delivery: the Workers host with the FLOWS_RUNTIME object (ledger
// for every run, journal per queue message) and the do.* kinds, driven through the worker's `queue` handler.

const silent = { log: () => {} };
const STATE = { FLOW_STATE: { type: "durableObject", className: "FlowsState" } } as const;

function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

function queueFlow(id: string, queue: string, nodes: NodeDecl[]): FlowDocument {
  return {
    flows: 1,
    id,
    version: "1.0.0",
    bindings: { ...STATE },
    triggers: [{ type: "queue", queue }],
    nodes,
  };
}

interface Delivery {
  id: string;
  body: unknown;
  attempts: number;
}

/**
 * The queue's delivery loop: batches of at most 100 through the worker's `queue` handler; retried messages
 * are delivered again (attempts + 1) until every one is acked. Returns the ids acked and the rounds taken.
 */
async function deliverAll(worker: FlowsWorker, queue: string, deliveries: Delivery[], maxRounds = 30) {
  const acked: string[] = [];
  let pending = deliveries;
  let rounds = 0;
  while (pending.length > 0 && rounds < maxRounds) {
    rounds++;
    const retried: Delivery[] = [];
    for (let start = 0; start < pending.length; start += 100) {
      const slice = pending.slice(start, start + 100);
      const batch = createMessageBatch(
        queue,
        slice.map((d) => ({ id: d.id, body: d.body, attempts: d.attempts, timestamp: Date.now() })),
      );
      const ctx = createExecutionContext();
      await worker.queue(batch, env, ctx);
      const result = await getQueueResult(batch, ctx);
      acked.push(...result.explicitAcks);
      const again = new Set(result.retryMessages.map((m) => m.msgId));
      for (const d of slice) if (again.has(d.id)) retried.push({ ...d, attempts: d.attempts + 1 });
    }
    pending = retried;
  }
  return { acked, rounds, left: pending };
}

/** Reads a FlowsState value directly. */
const stateOf = (object: string) => env.FLOW_STATE.get(env.FLOW_STATE.idFromName(object));

/** A kind that increments a counter through RPC without an operation key: only the kernel can dedupe it. */
const rawBump: NodeKind = {
  spec: {
    kind: "test.bump",
    description: "Increments key `n` of object input `object`, with no operation key.",
    effect: "write",
    determinism: "best_effort",
    inputs: { object: { required: true } },
    outputs: { out: {} },
    configSchema: { type: "object" },
  },
  run: async (ctx) => ({ out: await stateOf(String(ctx.inputs.object)).increment("n", 1) }),
};

describe("exactly-once effects through the Workers host and FLOWS_RUNTIME", () => {
  it("counts 1,000 jobs exactly once when each is delivered 2 or 3 times, shuffled, in batches of 100", async () => {
    const run = crypto.randomUUID();
    const queue = `dup-${run}`;
    const worker = createWorker(
      [
        queueFlow("dedupe", queue, [
          {
            id: "bump",
            kind: "do.increment",
            inputs: { object: `count:${run}`, key: "n" },
            idempotencyKey: "${{ trigger.message.body.id }}",
          },
        ]),
      ],
      {
        registry: createRegistry(BUILTIN_KINDS, DO_KINDS, rawBump),
        log: () => {},
        runOptions: () => ({ logger: silent }),
      },
    );
    const random = seededRandom(42);
    const deliveries: Delivery[] = [];
    for (let i = 0; i < 1000; i++) {
      const body = { id: `job-${i}` };
      const copies = random() < 0.5 ? 2 : 3;
      for (let c = 0; c < copies; c++) {
        // Odd copies are re-deliveries (same message id); even ones are duplicate sends (a new id).
        const id = c % 2 === 1 ? `m-${i}-0` : `m-${i}-${c}`;
        deliveries.push({ id, body, attempts: c % 2 === 1 ? 2 : 1 });
      }
    }
    shuffle(deliveries, random);
    expect(deliveries.length).toBeGreaterThan(2000);
    // A re-delivery and its original are never in one batch (the platform delivers one at a time).
    const { left, rounds } = await deliverAll(worker, queue, dedupeBatches(deliveries));
    expect(left).toEqual([]);
    expect(rounds).toBeGreaterThanOrEqual(1);
    expect(await stateOf(`count:${run}`).get("n")).toBe(1000);
  }, 180_000);

  it("applies an effect without an operation key once per job: the ledger and the journal alone dedupe it", async () => {
    const run = crypto.randomUUID();
    const queue = `raw-${run}`;
    const worker = createWorker(
      [
        queueFlow("raw", queue, [
          {
            id: "raw",
            kind: "test.bump",
            inputs: { object: `raw:${run}` },
            idempotencyKey: "${{ trigger.message.body.id }}",
          },
        ]),
      ],
      {
        registry: createRegistry(BUILTIN_KINDS, rawBump),
        log: () => {},
        runOptions: () => ({ logger: silent }),
      },
    );
    const random = seededRandom(3);
    const deliveries: Delivery[] = [];
    for (let i = 0; i < 200; i++) {
      deliveries.push({ id: `a-${i}`, body: { id: `job-${i}` }, attempts: 1 });
      deliveries.push({ id: `b-${i}`, body: { id: `job-${i}` }, attempts: 1 });
    }
    const { left } = await deliverAll(worker, queue, shuffle(deliveries, random));
    expect(left).toEqual([]);
    expect(await stateOf(`raw:${run}`).get("n")).toBe(200);
  }, 60_000);

  it("loses no message and applies no effect twice when 10% of effect calls fail (1,000 messages, redelivered until done)", async () => {
    const run = crypto.randomUUID();
    const queue = `fault-${run}`;
    const random = seededRandom(7);
    let calls = 0;
    let failures = 0;
    /** Fails 10% of calls with a retriable error: half before the effect, half after it (a lost answer). */
    const faulty = (inner: NodeKind, name: string): NodeKind => ({
      spec: { ...inner.spec, kind: name },
      run: async (ctx) => {
        calls++;
        const roll = random();
        const fail = () => {
          failures++;
          return new FlowError("INJECTED_FAULT", "injected fault", { retriable: true });
        };
        if (roll < 0.05) throw fail();
        const result = await inner.run(ctx);
        if (roll < 0.1) throw fail();
        return result;
      },
    });
    const registry = createRegistry(
      BUILTIN_KINDS,
      DO_KINDS,
      faulty(DO_KINDS["do.increment"]!, "faulty.increment"),
    );
    const retry = { attempts: 2, delay: "1ms" };
    const worker = createWorker(
      [
        queueFlow("faults", queue, [
          {
            id: "total",
            kind: "faulty.increment",
            inputs: { object: `fault:${run}`, key: "total" },
            idempotencyKey: "${{ trigger.message.body.id }}",
            retry,
          },
          {
            id: "each",
            kind: "faulty.increment",
            inputs: { object: `fault:${run}`, key: "${{ 'm:' + trigger.message.body.id }}" },
            idempotencyKey: "${{ trigger.message.body.id }}",
            retry,
          },
        ]),
      ],
      { registry, log: () => {}, runOptions: () => ({ logger: silent }) },
    );
    const deliveries = Array.from({ length: 1000 }, (_, i) => ({
      id: `f-${i}`,
      body: { id: `job-${i}` },
      attempts: 1,
    }));
    const { acked, left, rounds } = await deliverAll(worker, queue, deliveries);
    expect(left).toEqual([]);
    expect(new Set(acked).size).toBe(1000);
    expect(failures).toBeGreaterThan(100);
    expect(calls).toBeGreaterThan(2000);
    expect(rounds).toBeGreaterThan(1);
    const object = stateOf(`fault:${run}`);
    expect(await object.get("total")).toBe(1000);
    const counts = await runInDurableObject(object, (_instance, state) =>
      state.storage.sql
        .exec<{ value: string; n: number }>(
          "SELECT value, COUNT(*) AS n FROM state WHERE key LIKE 'm:%' GROUP BY value",
        )
        .toArray(),
    );
    expect(counts).toEqual([{ value: "1", n: 1000 }]);
  }, 180_000);

  it("uses the durable ledger for HTTP runs too: a repeated delivery id replays the first answer", async () => {
    const run = crypto.randomUUID();
    const worker = createWorker(
      [
        {
          flows: 1,
          id: "hook",
          version: "1.0.0",
          bindings: { ...STATE },
          triggers: [{ type: "http", method: "POST", path: "/hook" }],
          nodes: [
            {
              id: "bump",
              kind: "test.bump",
              inputs: { object: `http:${run}` },
              idempotencyKey: "${{ trigger.headers['x-delivery'] }}",
            },
            { id: "reply", kind: "respond", inputs: { body: "${{ nodes.bump.out }}" } },
          ],
        },
      ],
      {
        registry: createRegistry(BUILTIN_KINDS, rawBump),
        log: () => {},
        runOptions: () => ({ logger: silent }),
      },
    );
    const post = async (delivery: string) => {
      const request = new Request("http://x/hook", { method: "POST", headers: { "x-delivery": delivery } });
      const response = await worker.fetch(request, env, createExecutionContext());
      return [response.status, await response.json()];
    };
    expect(await post("d-1")).toEqual([200, 1]);
    expect(await post("d-1")).toEqual([200, 1]);
    expect(await post("d-2")).toEqual([200, 2]);
    expect(await stateOf(`http:${run}`).get("n")).toBe(2);
  });

  it("resumes a cancelled run on re-delivery without repeating the effect that finished (journal by message id)", async () => {
    for (const withRuntime of [true, false]) {
      const run = crypto.randomUUID();
      const queue = `resume-${run}`;
      const waitThenAnswer: NodeKind = {
        spec: {
          kind: "test.slow",
          description: "Waits (on its signal) on the first delivery; answers at once on later ones.",
          effect: "external",
          determinism: "best_effort",
          inputs: { attempts: {} },
          outputs: { out: {} },
          configSchema: { type: "object" },
        },
        run: async (ctx) => {
          if (ctx.inputs.attempts === 1) await ctx.sleep(60_000);
          return { out: "sent" };
        },
      };
      const controller = new AbortController();
      let cancelAfterFirst = true;
      const events: RunEvent[] = [];
      const options = (): Partial<RunOptions> => ({
        logger: silent,
        ...(cancelAfterFirst && { signal: controller.signal }),
        onEvent: (event) => {
          events.push(event);
          // Cancel as soon as the first effect has finished.
          if (event.type === "node.end" && event.nodeId === "first") controller.abort();
        },
      });
      const worker = createWorker(
        [
          queueFlow("resume", queue, [
            {
              id: "first",
              kind: "do.increment",
              inputs: { object: `resume:${run}`, key: "n" },
              retry: { attempts: 1 },
            },
            {
              id: "second",
              kind: "test.slow",
              after: ["first"],
              inputs: { attempts: "${{ trigger.message.attempts }}" },
              retry: { attempts: 1 },
            },
          ]),
        ],
        {
          registry: createRegistry(BUILTIN_KINDS, DO_KINDS, waitThenAnswer),
          log: () => {},
          runOptions: options,
          ...(withRuntime ? {} : { runtimeBinding: false as const }),
        },
      );
      const first = await deliverAll(worker, queue, [{ id: `r-${run}`, body: {}, attempts: 1 }], 1);
      expect(first.left).toHaveLength(1); // cancelled: retried
      expect(events.find((e) => e.type === "run.end")).toMatchObject({ status: "cancelled" });
      cancelAfterFirst = false;
      events.length = 0;
      const second = await deliverAll(worker, queue, first.left, 1);
      expect(second.acked).toEqual([`r-${run}`]);
      const replayed = events.find((e) => e.type === "node.output" && e.nodeId === "first");
      if (withRuntime) {
        expect(replayed).toMatchObject({ replayed: true });
        expect(await stateOf(`resume:${run}`).get("n")).toBe(1);
      } else {
        // Control: without FLOWS_RUNTIME there is no journal, and the effect is repeated.
        expect(await stateOf(`resume:${run}`).get("n")).toBe(2);
      }
    }
  });
});

/**
 * Orders deliveries so that copies sharing a message id are never in one batch of 100 (the platform does not
 * deliver a message again while it is in flight); duplicate sends (new ids) may share a batch.
 */
function dedupeBatches(deliveries: Delivery[]): Delivery[] {
  const batches: Delivery[][] = [];
  for (const d of deliveries) {
    let target = batches.find((b) => b.length < 100 && !b.some((x) => x.id === d.id));
    if (!target) {
      target = [];
      batches.push(target);
    }
    target.push(d);
  }
  return batches.flat();
}
