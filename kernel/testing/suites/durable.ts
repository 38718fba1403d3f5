import { describe, expect, it } from "vitest";
import type { DurableStepConfig } from "../../durable.ts";
import { MAX_STEP_OUTPUT_BYTES } from "../../durable.ts";
import { NonRetriableError } from "../../errors.ts";
import { runFlow, startRun } from "../../executor.ts";
import { MemorySteps } from "../../memory-steps.ts";
import { createPlan } from "../../plan.ts";
import type { Outputs } from "../../step.ts";
import {
  eventLog,
  eventsOf,
  flow,
  memoryLogger,
  node,
  planOf,
  probeKind,
  ref,
  registryWith,
  wait,
} from "../helpers.ts";

/** An engine that dies (as an isolate would) when step `name` is first about to run. */
class CrashingSteps extends MemorySteps {
  crashAt: string | undefined;
  override do(name: string, config: DurableStepConfig, work: () => Promise<Outputs>): Promise<Outputs> {
    if (name === this.crashAt) {
      this.crashAt = undefined;
      return Promise.reject(new Error("the isolate was killed"));
    }
    return super.do(name, config, work);
  }
}

/** A `write` kind that counts its effect per node id, like a KV counter. */
function counterKind(counts: Map<string, number>) {
  return probeKind("count", {
    effect: "write",
    answer: (ctx) => {
      const n = (counts.get(ctx.nodeId) ?? 0) + 1;
      counts.set(ctx.nodeId, n);
      return { out: n };
    },
  });
}

const DURABLE = { deadlineMs: Number.POSITIVE_INFINITY, logger: memoryLogger() };

/** Durable runs: journaled nodes as engine steps, engine retries, replay, sleep and wait. */
export function durableSuite(): void {
  describe("durable runs", () => {
    it("runs each effectful or nondeterministic node as one engine step named by its step key; pure nodes are not steps", async () => {
      const counts = new Map<string, number>();
      const guess = probeKind("guess", { determinism: "nondeterministic", answer: () => ({ out: 4 }) });
      const plan = planOf(
        [
          node("a", "count"),
          node("shape", "transform", { config: { value: "${{ nodes.a.out + 1 }}" } }),
          node("g", "guess"),
          node("reply", "respond", { inputs: { body: [ref("shape"), ref("g")] } }),
        ],
        [counterKind(counts), guess],
      );
      const steps = new MemorySteps();
      const result = await runFlow(plan, { ...DURABLE, steps });
      expect(result.status).toBe("ok");
      expect((result.output as { body: unknown }).body).toEqual([2, 4]);
      expect([...steps.records.keys()].sort()).toEqual(["a#1", "g#1"]);
    });

    it("does not repeat a finished step's effect when a run killed between two steps is resumed", async () => {
      const counts = new Map<string, number>();
      const plan = planOf(
        [
          node("first", "count"),
          node("second", "count", { inputs: { after: ref("first") } }),
          node("reply", "respond", { inputs: { body: ref("second") } }),
        ],
        [counterKind(counts)],
      );
      const steps = new CrashingSteps();
      steps.crashAt = "second#1";
      const killed = await runFlow(plan, { ...DURABLE, steps });
      expect(killed.status).toBe("failed");
      expect(Object.fromEntries(counts)).toEqual({ first: 1 });
      const log = eventLog();
      const resumed = await runFlow(plan, { ...DURABLE, steps, onEvent: log.onEvent });
      expect(resumed.status).toBe("ok");
      expect(Object.fromEntries(counts)).toEqual({ first: 1, second: 1 });
      expect(eventsOf(log.events, "node.output", "first")[0]).toMatchObject({ replayed: true });
      // A third replay (the engine calls run() again after every step) repeats nothing either.
      await runFlow(plan, { ...DURABLE, steps });
      expect(Object.fromEntries(counts)).toEqual({ first: 1, second: 1 });
    });

    it("leaves retries to the engine, per the node's policy, with a node.retry event per retry", async () => {
      const flaky = probeKind("flaky", {
        effect: "read",
        fail: (attempt) => (attempt < 3 ? new Error(`down ${attempt}`) : undefined),
      });
      const plan = planOf([node("x", "flaky", { retry: { attempts: 3, delay: "1ms" } })], [flaky]);
      const steps = new MemorySteps({ skipSleeps: true });
      const log = eventLog();
      const result = await runFlow(plan, { ...DURABLE, steps, onEvent: log.onEvent });
      expect(result.status).toBe("ok");
      expect(steps.calls.get("x#1")).toBe(3);
      expect(flaky.calls.map((c) => c.attempt)).toEqual([1, 2, 3]);
      expect(eventsOf(log.events, "node.retry", "x")).toHaveLength(2);
    });

    it("does not retry a non-retriable error, nor a write without an idempotency key", async () => {
      const refuse = probeKind("refuse", { effect: "read", fail: () => new NonRetriableError("no") });
      const write = probeKind("put", { effect: "write", fail: () => new Error("lost") });
      const plan = planOf(
        [
          node("r", "refuse", { retry: { attempts: 5, delay: "1ms" } }),
          node("w", "put", { retry: { attempts: 5, delay: "1ms" } }),
        ],
        [refuse, write],
      );
      const steps = new MemorySteps({ skipSleeps: true });
      const result = await runFlow(plan, { ...DURABLE, steps });
      expect(result.status).toBe("failed");
      expect(steps.calls.get("r#1")).toBe(1);
      expect(write.calls.length).toBeLessThanOrEqual(1);
    });

    it("names map items' steps by index and runs a subflow call as one step", async () => {
      const counts = new Map<string, number>();
      const registry = registryWith(counterKind(counts));
      const child = createPlan(
        flow([node("inner", "count"), node("r", "respond", { inputs: { body: ref("inner") } })], {
          id: "child",
        }),
        { registry },
      );
      const parent = createPlan(
        flow([
          node("each", "map", { inputs: { items: [1, 2, 3] }, config: { node: { kind: "count" } } }),
          node("call", "subflow", { inputs: { input: 1 }, config: { flow: "child" } }),
        ]),
        { registry },
      );
      const steps = new MemorySteps();
      const plans = new Map([["child", child]]);
      const result = await runFlow(parent, { ...DURABLE, steps, plans });
      expect(result.status).toBe("ok");
      expect([...steps.records.keys()].sort()).toEqual([
        "call#1",
        "each.node#1",
        "each.node#2",
        "each.node#3",
      ]);
      await runFlow(parent, { ...DURABLE, steps, plans });
      expect(Object.fromEntries(counts)).toEqual({ "each.node": 3, inner: 1 });
    });

    it("sleeps for days at once when sleeps are skipped, and a replay after the sleep goes straight on", async () => {
      const counts = new Map<string, number>();
      const plan = planOf(
        [node("nap", "sleep", { config: { duration: "3d" } }), node("after", "count", { after: ["nap"] })],
        [counterKind(counts)],
      );
      const steps = new MemorySteps({ skipSleeps: true });
      const result = await runFlow(plan, { ...DURABLE, steps });
      expect(result.status).toBe("ok");
      expect(steps.records.get("nap#1")).toEqual({ kind: "sleep" });
      expect(counts.get("after")).toBe(1);
    });

    it("sleeps until a timestamp from an expression, on the injected clock", async () => {
      let now = 1_000_000;
      const timers = {
        setTimeout: (callback: () => void, ms: number) => {
          now += ms;
          queueMicrotask(callback);
          return 0;
        },
        clearTimeout: () => {},
      };
      const plan = planOf([node("nap", "sleep", { config: { until: "${{ trigger.at }}" } })]);
      const steps = new MemorySteps({ clock: { now: () => now }, timers });
      const result = await runFlow(plan, {
        ...DURABLE,
        steps,
        trigger: { at: new Date(1_005_000).toISOString() },
      });
      expect(result.status).toBe("ok");
      expect(now).toBe(1_005_000);
    });

    it("gives a waiting run's event payload to the next node", async () => {
      const plan = planOf([
        node("approval", "wait", { config: { event: "approved", timeout: "2d" } }),
        node("reply", "respond", { inputs: { body: "${{ nodes.approval.out.by }}" } }),
      ]);
      const steps = new MemorySteps();
      const handle = startRun(plan, { ...DURABLE, steps });
      await wait(5);
      expect(steps.waiting).toMatchObject([{ name: "approval#1", kind: "event", eventType: "approved" }]);
      steps.send("other", { by: "nobody" });
      steps.send("approved", { by: "ada" });
      const result = await handle.result;
      expect(result.status).toBe("ok");
      expect((result.output as { body: unknown }).body).toBe("ada");
      expect(steps.waiting).toEqual([]);
      // Replayed, the wait answers from its record.
      const again = await runFlow(plan, { ...DURABLE, steps });
      expect((again.output as { body: unknown }).body).toBe("ada");
    });

    it("times out a wait with WAIT_TIMEOUT, or on its `timeout` port when asked to", async () => {
      const failing = planOf([node("w", "wait", { config: { event: "approved", timeout: "10ms" } })]);
      const failed = await runFlow(failing, { ...DURABLE, steps: new MemorySteps() });
      expect(failed.status).toBe("failed");
      expect(failed.error).toMatchObject({
        code: "WAIT_TIMEOUT",
        details: { event: "approved", timeoutMs: 10 },
      });

      const routed = planOf([
        node("w", "wait", { config: { event: "approved", timeout: "1h", onTimeout: "port" } }),
        node("yes", "transform", { config: { value: "${{ nodes.w.out }}" } }),
        node("remind", "respond", { inputs: { body: "${{ nodes.w.timeout }}" } }),
      ]);
      const log = eventLog();
      const result = await runFlow(routed, {
        ...DURABLE,
        steps: new MemorySteps({ skipSleeps: true }),
        onEvent: log.onEvent,
      });
      expect(result.status).toBe("ok");
      expect((result.output as { body: unknown }).body).toEqual({ event: "approved", timeoutMs: 3_600_000 });
      expect(eventsOf(log.events, "node.skipped", "yes")).toHaveLength(1);
    });

    it("refuses to wait outside a durable run", async () => {
      const result = await runFlow(planOf([node("w", "wait", { config: { event: "approved" } })]), {
        logger: memoryLogger(),
      });
      expect(result.error).toMatchObject({ code: "WAIT_NOT_DURABLE" });
    });

    it("sleeps on the node's signal outside a durable run, so a cancel ends the sleep", async () => {
      const handle = startRun(planOf([node("nap", "sleep", { config: { duration: "1h" } })]), {
        logger: memoryLogger(),
      });
      await wait(5);
      handle.cancel("stop");
      const result = await handle.result;
      expect(result.status).toBe("cancelled");
    });

    it("fails without retry a step whose output is a stream or too large to store", async () => {
      const big = probeKind("big", {
        effect: "read",
        answer: () => ({ out: "x".repeat(MAX_STEP_OUTPUT_BYTES) }),
      });
      const flowing = probeKind("flowing", {
        effect: "read",
        answer: () => ({ out: new ReadableStream({ start: (c) => c.close() }) }),
      });
      const steps = new MemorySteps({ skipSleeps: true });
      const large = await runFlow(planOf([node("b", "big", { retry: { attempts: 3 } })], [big]), {
        ...DURABLE,
        steps,
      });
      expect(large.error).toMatchObject({ code: "DURABLE_STEP_TOO_LARGE", nodeId: "b" });
      expect(steps.calls.get("b#1")).toBe(1);
      const stream = await runFlow(planOf([node("s", "flowing")], [flowing]), { ...DURABLE, steps });
      expect(stream.error).toMatchObject({ code: "DURABLE_STEP_STREAM", details: { port: "out" } });
    });

    it("arms no deadline timer for a run whose deadline is Infinity", async () => {
      const slow = probeKind("slow", { effect: "read", delayMs: 20 });
      const result = await runFlow(planOf([node("s", "slow")], [slow]), {
        ...DURABLE,
        steps: new MemorySteps(),
      });
      expect(result.status).toBe("ok");
    });
  });
}
