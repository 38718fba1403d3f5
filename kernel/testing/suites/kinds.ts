import { describe, expect, it } from "vitest";
import { toEnvelope } from "../../errors.ts";
import { runFlow, startRun } from "../../executor.ts";
import { DEFAULT_MAP_CONCURRENCY } from "../../kinds/map.ts";
import { createPlan } from "../../plan.ts";
import { flow, memoryLogger, node, planOf, probeKind, ref, registryWith } from "../helpers.ts";

/** Behaviour of the built-in kinds not covered by the scheduling suites. */
export function kindsSuite(): void {
  describe("map", () => {
    const mapOf = (items: unknown, template: Record<string, unknown>, concurrency?: number) =>
      node("each", "map", {
        inputs: { items: items as never },
        config: { node: template as never, ...(concurrency && { concurrency }) },
      });

    it("runs the template per item, with item and index, and keeps the order", async () => {
      const plan = planOf(
        [mapOf("${{ trigger.list }}", { kind: "transform", config: { value: "${{ item * 10 + index }}" } })],
        [],
        { output: "each" },
      );
      const result = await runFlow(plan, { trigger: { list: [1, 2, 3] } });
      expect(result.output).toEqual([10, 21, 32]);
    });

    it("streams its results in item order with stream: true, each as a chunk", async () => {
      const slow = probeKind("slow", { delayMs: 5 });
      const plan = planOf(
        [
          node("each", "map", {
            inputs: { items: [3, 1, 2] as never },
            config: {
              stream: true,
              concurrency: 3,
              node: { kind: "slow", inputs: { i: "${{ item }}" } } as never,
            },
          }),
        ],
        [slow],
        { output: "each" },
      );
      const chunks: unknown[] = [];
      const result = await runFlow(plan, {
        onEvent: (e) => {
          if (e.type === "node.chunk" && e.nodeId === "each") chunks.push(e.chunk);
        },
      });
      expect(result.status).toBe("ok");
      expect(chunks).toEqual([{ i: 3 }, { i: 1 }, { i: 2 }]);
      expect(slow.maxRunning).toBe(3);
    });

    it("never runs more items at once than its concurrency limit", async () => {
      const slow = probeKind("slow", { delayMs: 10 });
      const plan = planOf(
        [mapOf([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], { kind: "slow", inputs: { i: "${{ item }}" } }, 3)],
        [slow],
        { output: "each" },
      );
      const result = await runFlow(plan);
      expect(result.status).toBe("ok");
      expect(slow.calls).toHaveLength(10);
      expect(slow.maxRunning).toBe(3);
      expect((result.output as unknown[]).length).toBe(10);
    });

    it("runs at most 6 at a time by default (a Worker's open connections)", async () => {
      const slow = probeKind("slow", { delayMs: 5 });
      const items = Array.from({ length: 20 }, (_, i) => i);
      await runFlow(planOf([mapOf(items, { kind: "slow", inputs: { i: "${{ item }}" } })], [slow]));
      expect(DEFAULT_MAP_CONCURRENCY).toBe(6);
      expect(slow.maxRunning).toBe(6);
    });

    it("memoises a pure template on equal inputs: it runs once per distinct item", async () => {
      const pure = probeKind("pureOne");
      const plan = planOf(
        [mapOf([1, 1, 2, 1, 2], { kind: "pureOne", inputs: { v: "${{ item }}" } })],
        [pure],
        { output: "each" },
      );
      const result = await runFlow(plan);
      expect(pure.calls.map((c) => c.inputs.v)).toEqual([1, 2]);
      expect(result.output).toEqual([{ v: 1 }, { v: 1 }, { v: 2 }, { v: 1 }, { v: 2 }]);
    });

    it("does not memoise a template with effects", async () => {
      const read = probeKind("readOne", { effect: "read" });
      await runFlow(planOf([mapOf([1, 1, 1], { kind: "readOne", inputs: { v: "${{ item }}" } })], [read]));
      expect(read.calls).toHaveLength(3);
    });

    it("fails with NODE_INPUT_INVALID when items is not a list", async () => {
      const result = await runFlow(planOf([mapOf("${{ trigger }}", { kind: "transform" })]), {
        trigger: "nope",
        logger: memoryLogger(),
      });
      expect(result.error?.code).toBe("NODE_INPUT_INVALID");
      expect(result.error?.message).toBe("node `each`: input `items` must be a list, got string");
    });

    it("stops starting items after one fails and aborts the running ones", async () => {
      const slow = probeKind("slowOrFail", {
        delayMs: 20,
        fail: (_, ctx) => (ctx.inputs.i === 2 ? new Error("item 2 broke") : undefined),
      });
      const plan = planOf(
        [mapOf([1, 2, 3, 4, 5, 6], { kind: "slowOrFail", inputs: { i: "${{ item }}" } }, 2)],
        [slow],
      );
      const result = await runFlow(plan, { logger: memoryLogger() });
      expect(result.status).toBe("failed");
      expect(slow.calls.length).toBeLessThanOrEqual(3);
      expect(slow.running).toBe(0);
    });
  });

  describe("subflow", () => {
    const registry = registryWith(
      probeKind("double", { answer: (ctx) => ({ out: (ctx.inputs.n as number) * 2 }) }),
    );
    const child = createPlan(
      flow(
        [
          node("d", "double", { inputs: { n: "${{ trigger }}" } }),
          node("r", "respond", { inputs: { body: ref("d") } }),
        ],
        { id: "child" },
      ),
      { registry },
    );

    it("runs another flow with the input as its trigger and returns its output", async () => {
      const parent = createPlan(
        flow([node("call", "subflow", { inputs: { input: 21 }, config: { flow: "child" } })], {
          output: "call",
        }),
        { registry },
      );
      const result = await runFlow(parent, { plans: new Map([["child", child]]) });
      expect(result.output).toEqual({ status: 200, headers: {}, body: 42 });
    });

    it("memoises calls of a pure flow with an equal input", async () => {
      const counting = probeKind("count");
      const reg = registryWith(counting);
      const pureChild = createPlan(
        flow([node("c", "count", { inputs: { v: "${{ trigger }}" } })], { id: "pure-child", output: "c" }),
        { registry: reg },
      );
      const parent = createPlan(
        flow([
          node("one", "subflow", { inputs: { input: { a: 1, b: 2 } }, config: { flow: "pure-child" } }),
          node("two", "subflow", { inputs: { input: { b: 2, a: 1 } }, config: { flow: "pure-child" } }),
          node("three", "subflow", { inputs: { input: { a: 2 } }, config: { flow: "pure-child" } }),
        ]),
        { registry: reg },
      );
      const result = await runFlow(parent, { plans: new Map([["pure-child", pureChild]]) });
      expect(result.status).toBe("ok");
      expect(counting.calls).toHaveLength(2);
    });

    it("fails with SUBFLOW_NOT_FOUND and SUBFLOW_DEPTH_EXCEEDED", async () => {
      const missing = createPlan(flow([node("call", "subflow", { config: { flow: "nowhere" } })]));
      const notFound = await runFlow(missing, { logger: memoryLogger() });
      // A deployment mistake, named for the caller: the code, the missing flow and its message reach the client.
      expect(toEnvelope(notFound.error, notFound.runId).error).toEqual({
        code: "SUBFLOW_NOT_FOUND",
        message: "subflow `nowhere` is not deployed with flow `test-flow`",
        details: { flowId: "nowhere" },
        runId: notFound.runId,
        nodeId: "call",
      });
      const loop = createPlan(flow([node("call", "subflow", { config: { flow: "loop" } })], { id: "loop" }));
      const result = await runFlow(loop, { plans: new Map([["loop", loop]]), logger: memoryLogger() });
      expect(result.error?.code).toBe("SUBFLOW_DEPTH_EXCEEDED");
    });

    it("stops a subflow's run when its calling node times out or its run is cancelled, with no AbortController", async () => {
      const slow = probeKind("slow", { delayMs: 200 });
      const slowChild = createPlan(flow([node("s", "slow")], { id: "slow-child", output: "s" }), {
        registry: registryWith(slow),
      });
      const plans = new Map([["slow-child", slowChild]]);
      const made = { controllers: 0 };
      const global = globalThis as unknown as { AbortController: typeof AbortController };
      const Native = global.AbortController;
      global.AbortController = class extends Native {
        constructor() {
          super();
          made.controllers++;
        }
      };
      try {
        // The calling node times out: the subflow's running node is aborted with that node's NODE_TIMEOUT.
        const timed = createPlan(
          flow([node("call", "subflow", { config: { flow: "slow-child" }, timeout: "20ms" })]),
        );
        const timedOut = await runFlow(timed, { plans, logger: memoryLogger() });
        expect(timedOut.error?.code).toBe("NODE_TIMEOUT");
        expect((slow.calls[0]!.aborted as Error).message).toBe(
          "run cancelled: the caller's signal was aborted",
        );
        // The caller cancels the parent: the subflow is cancelled with it.
        const parent = createPlan(flow([node("call", "subflow", { config: { flow: "slow-child" } })]));
        const pending = startRun(parent, { plans, logger: memoryLogger() });
        await new Promise((resolve) => setTimeout(resolve, 10));
        pending.cancel("enough");
        const cancelled = await pending.result;
        expect(cancelled.status).toBe("cancelled");
        expect(slow.calls[1]!.aborted).toBeDefined();
        expect(slow.running).toBe(0);
        // Only the child's slow node asked for a signal (one controller for it, one for the child run it follows):
        // neither the calling node nor either run made one to link the child to its caller.
        expect(made.controllers).toBe(4);
      } finally {
        global.AbortController = Native;
      }
    });

    it("passes a subflow's user error through", async () => {
      const failing = createPlan(
        flow([node("f", "fail", { inputs: { message: "bad" }, config: { code: "CHILD_SAID_NO" } })], {
          id: "failing",
        }),
      );
      const parent = createPlan(flow([node("call", "subflow", { config: { flow: "failing" } })]));
      const result = await runFlow(parent, {
        plans: new Map([["failing", failing]]),
        logger: memoryLogger(),
      });
      expect(result.error?.code).toBe("CHILD_SAID_NO");
    });
  });

  describe("log, delay, respond", () => {
    it("logs a structured line and passes data on", async () => {
      const logger = memoryLogger();
      const plan = planOf(
        [node("l", "log", { inputs: { message: "hello", data: { a: 1 } }, config: { level: "warn" } })],
        [],
        { output: "l" },
      );
      const result = await runFlow(plan, { logger, runId: "r" });
      expect(result.output).toEqual({ a: 1 });
      expect(logger.lines).toEqual([
        { level: "warn", message: "hello", fields: { runId: "r", nodeId: "l", data: { a: 1 } } },
      ]);
    });

    it("waits in a delay node and emits its value", async () => {
      const started = performance.now();
      const plan = planOf(
        [node("d", "delay", { inputs: { value: "x" }, config: { duration: "20ms" } })],
        [],
        { output: "d" },
      );
      expect((await runFlow(plan)).output).toBe("x");
      expect(performance.now() - started).toBeGreaterThanOrEqual(18);
    });
  });
}
