import { describe, expect, it } from "vitest";
import { runFlow } from "../../executor.ts";
import { eventLog, eventProblems, eventsOf, memoryLogger, node, planOf, probeKind, ref } from "../helpers.ts";

/** Dataflow scheduling: readiness, concurrency, skipping, merge, output selection, timings. */
export function schedulingSuite(): void {
  describe("scheduling", () => {
    it("runs a chain and answers with the respond node's output", async () => {
      const plan = planOf([
        node("greeting", "transform", { inputs: { text: "Hello, ${{ trigger.body.name }}!" } }),
        node("reply", "respond", { inputs: { body: ref("greeting") } }),
      ]);
      const result = await runFlow(plan, { trigger: { body: { name: "Ada" } } });
      expect(result.status).toBe("ok");
      expect(result.output).toEqual({ status: 200, headers: {}, body: { text: "Hello, Ada!" } });
      expect(result.runId).toMatch(/^[0-9a-f-]{36}$/);
    });

    it("evaluates transform templates with `input` in scope", async () => {
      const plan = planOf(
        [
          node("a", "transform", {
            inputs: { n: "${{ trigger.n }}" },
            config: { value: { double: "${{ input.n * 2 }}" } },
          }),
        ],
        [],
        { output: "a" },
      );
      expect((await runFlow(plan, { trigger: { n: 21 } })).output).toEqual({ double: 42 });
    });

    it("runs independent branches concurrently: their run times overlap", async () => {
      const slow = probeKind("slow", { delayMs: 40 });
      const plan = planOf(
        [
          node("left", "slow"),
          node("right", "slow"),
          node("both", "merge", {
            inputs: { l: ref("left"), r: ref("right") },
          }),
        ],
        [slow],
      );
      const result = await runFlow(plan);
      expect(result.status).toBe("ok");
      // Overlap, shown by the calls themselves (a wall-clock bound flaked on a loaded machine: 96 ms for 2 × 40 ms).
      const [a, b] = slow.calls;
      expect(a!.startedAt).toBeLessThan(b!.endedAt!);
      expect(b!.startedAt).toBeLessThan(a!.endedAt!);
      expect(slow.maxRunning).toBe(2);
    });

    it("starts a node only after all its inputs are ready, and as soon as they are", async () => {
      const slow = probeKind("slow", { delayMs: 30 });
      const fast = probeKind("fast", { delayMs: 5 });
      const sink = probeKind("sink");
      const plan = planOf(
        [
          node("s", "slow"),
          node("f", "fast"),
          node("join", "sink", { inputs: { s: ref("s"), f: ref("f") } }),
        ],
        [slow, fast, sink],
      );
      await runFlow(plan);
      const joined = sink.calls[0]!;
      expect(joined.startedAt).toBeGreaterThanOrEqual(slow.calls[0]!.endedAt!);
      expect(joined.startedAt - slow.calls[0]!.endedAt!).toBeLessThan(30);
      expect(joined.inputs).toEqual({ s: {}, f: {} });
    });

    it("runs a node with `after` once that node has ended, even when it was skipped", async () => {
      const log = eventLog();
      const plan = planOf([
        node("first", "transform", { when: "false" }),
        node("second", "transform", { after: ["first"] }),
      ]);
      const result = await runFlow(plan, { onEvent: log.onEvent });
      expect(result.timings.nodes.first!.status).toBe("skipped");
      expect(result.timings.nodes.second!.status).toBe("ok");
      const skipped = eventsOf(log.events, "node.skipped", "first")[0]!;
      expect(eventsOf(log.events, "node.start", "second")[0]!.seq).toBeGreaterThan(skipped.seq);
    });

    it("skips a node whose `when` is false, and its dependants", async () => {
      const log = eventLog();
      const plan = planOf([
        node("gate", "transform", { when: "trigger.go" }),
        node("after", "transform", { inputs: { x: ref("gate") } }),
        node("other", "transform"),
      ]);
      const result = await runFlow(plan, { trigger: { go: false }, onEvent: log.onEvent });
      expect(result.status).toBe("ok");
      expect(log.events.filter((e) => e.type === "node.skipped")).toMatchObject([
        { nodeId: "gate", reason: "when" },
        { nodeId: "after", reason: "dependency" },
      ]);
      expect(result.timings.nodes.other!.status).toBe("ok");
      expect(eventProblems(log.events)).toEqual([]);
    });

    it("routes a condition: the branch on the port not emitted is skipped", async () => {
      const plan = planOf(
        [
          node("check", "condition", {
            inputs: { value: "${{ trigger.n }}" },
            config: { when: "input.value > 3" },
          }),
          node("big", "transform", { inputs: { n: ref("check", "then") } }),
          node("small", "transform", { inputs: { n: ref("check", "else") } }),
          node("answer", "merge", {
            inputs: { big: ref("big"), small: ref("small") },
            config: { mode: "first" },
          }),
        ],
        [],
        { output: "answer" },
      );
      const big = await runFlow(plan, { trigger: { n: 5 } });
      expect(big.output).toEqual({ n: 5 });
      expect(big.timings.nodes.small!.status).toBe("skipped");
      const small = await runFlow(plan, { trigger: { n: 1 } });
      expect(small.timings.nodes.big!.status).toBe("skipped");
      expect(small.output).toEqual({ n: 1 });
    });

    it("accepts a condition's `when` wrapped in ${{ }}", async () => {
      const plan = planOf(
        [
          node("check", "condition", { inputs: { value: 1 }, config: { when: "${{ input.value == 1 }}" } }),
          node("yes", "transform", { inputs: { v: ref("check", "then") } }),
        ],
        [],
        { output: "yes" },
      );
      expect((await runFlow(plan)).output).toEqual({ v: 1 });
    });

    it("routes a switch to the first true case, else the default, else nowhere", async () => {
      const plan = planOf([
        node("route", "switch", {
          inputs: { value: "${{ trigger }}" },
          config: {
            cases: [
              { port: "small", when: "input.value.n < 10" },
              { port: "big", when: "input.value.n >= 10 && input.value.n < 100" },
            ],
            default: "huge",
          },
        }),
        node("a", "transform", { inputs: { v: ref("route", "small") } }),
        node("b", "transform", { inputs: { v: ref("route", "big") } }),
        node("c", "transform", { inputs: { v: ref("route", "huge") } }),
      ]);
      const statuses = async (n: number) => {
        const { timings } = await runFlow(plan, { trigger: { n } });
        return ["a", "b", "c"].map((id) => timings.nodes[id]!.status);
      };
      expect(await statuses(1)).toEqual(["ok", "skipped", "skipped"]);
      expect(await statuses(50)).toEqual(["skipped", "ok", "skipped"]);
      expect(await statuses(500)).toEqual(["skipped", "skipped", "ok"]);
    });

    it("evaluates switch cases lazily: a later case may assume earlier ones were false", async () => {
      const plan = planOf([
        node("route", "switch", {
          inputs: { value: "${{ trigger }}" },
          config: {
            cases: [
              { port: "none", when: "!has(input.value.x)" },
              { port: "some", when: "input.value.x.y > 1" },
            ],
          },
        }),
      ]);
      expect((await runFlow(plan, { trigger: {} })).status).toBe("ok");
    });

    it("runs a merge once all its sources ended and gives it only the values that exist", async () => {
      const slow = probeKind("slow", { delayMs: 20 });
      const plan = planOf(
        [
          node("a", "slow", { inputs: { v: 1 } }),
          node("b", "transform", { when: "false" }),
          node("all", "merge", { inputs: { a: ref("a"), b: ref("b") } }),
        ],
        [slow],
        { output: "all" },
      );
      const result = await runFlow(plan);
      expect(result.output).toEqual({ a: { v: 1 } });
    });

    it("skips a merge when none of its sources produced a value", async () => {
      const plan = planOf([
        node("a", "transform", { when: "false" }),
        node("m", "merge", { inputs: { a: ref("a") } }),
        node("after", "transform", { inputs: { m: ref("m") } }),
      ]);
      const { timings } = await runFlow(plan);
      expect(timings.nodes.m!.status).toBe("skipped");
      expect(timings.nodes.after!.status).toBe("skipped");
    });

    it("says why an output that was skipped has no value, back to where the skipping began", async () => {
      const plan = planOf([
        node("check", "condition", {
          inputs: { value: "${{ trigger.n }}" },
          config: { when: "input.value > 3" },
        }),
        node("lookup", "transform", { when: "trigger.go", inputs: { n: ref("check", "then") } }),
        node("shape", "transform", { inputs: { found: ref("lookup") } }),
        node("found", "respond", { inputs: { body: ref("shape") } }),
        node("small", "respond", { inputs: { body: ref("check", "else") } }),
      ]);
      const when = await runFlow(plan, { trigger: { n: 5, go: false } });
      expect(when.status).toBe("ok");
      expect(when.output).toBeUndefined();
      expect(when.outputSkipped).toEqual({
        found: [
          { nodeId: "found", reason: "dependency", source: "shape" },
          { nodeId: "shape", reason: "dependency", source: "lookup" },
          { nodeId: "lookup", reason: "when" },
        ],
        small: [{ nodeId: "small", reason: "port", source: "check", port: "else" }],
      });
      // One respond node answered: nothing to explain.
      const answered = await runFlow(plan, { trigger: { n: 1, go: false } });
      expect(answered.output).toMatchObject({ body: 1 });
      expect(answered.outputSkipped).toBeUndefined();
      // A merge with some input is skipped only by its own `when`.
      const merged = planOf(
        [node("a", "transform"), node("m", "merge", { when: "false", inputs: { a: ref("a") } })],
        [],
        { output: "m" },
      );
      expect((await runFlow(merged)).outputSkipped).toEqual({ m: [{ nodeId: "m", reason: "when" }] });
    });

    it("fails with EXPRESSION_FAILED naming the node and input when an expression fails", async () => {
      const plan = planOf([node("a", "transform", { inputs: { x: "${{ trigger.missing.deep }}" } })]);
      const result = await runFlow(plan, { trigger: {}, logger: memoryLogger() });
      expect(result.status).toBe("failed");
      expect(result.error?.code).toBe("EXPRESSION_FAILED");
      expect(result.error?.message).toMatch(/^node `a` inputs\.x: /);
      expect(result.error?.nodeId).toBe("a");
    });

    it("fails when `when` is not a boolean", async () => {
      const result = await runFlow(planOf([node("a", "transform", { when: "trigger.n" })]), {
        trigger: { n: 1 },
        logger: memoryLogger(),
      });
      expect(result.error?.code).toBe("EXPRESSION_FAILED");
      expect(result.error?.message).toBe("node `a` when: must be a boolean, got number");
    });

    it("answers with the output node's `out` port, or all its ports when it has none, or nothing", async () => {
      const check = node("check", "condition", {
        inputs: { value: "${{ trigger.ok }}" },
        config: { when: "input.value" },
      });
      const byOutput = planOf([check, node("t", "transform", { inputs: { v: ref("check", "then") } })], [], {
        output: "t",
      });
      expect((await runFlow(byOutput, { trigger: { ok: true } })).output).toEqual({ v: true });
      expect((await runFlow(byOutput, { trigger: { ok: false } })).output).toBeUndefined();
      const noOut = planOf([check], [], { output: "check" });
      expect((await runFlow(noOut, { trigger: { ok: false } })).output).toEqual({ else: false });
      expect((await runFlow(planOf([node("a", "transform")]))).output).toBeUndefined();
    });

    it("gives `vars` from var bindings and `run` (id, flowId) to expressions", async () => {
      const plan = planOf(
        [
          node("a", "transform", {
            inputs: { v: "${{ vars.GREETING }}", id: "${{ run.id }}", f: "${{ run.flowId }}" },
          }),
        ],
        [],
        {
          output: "a",
          bindings: { GREETING: { type: "var", value: "hi" } },
        },
      );
      const result = await runFlow(plan, { runId: "run-7" });
      expect(result.output).toEqual({ v: "hi", id: "run-7", f: "test-flow" });
    });

    it("reports per-node timings from the injected clock, one reading per scheduling turn", async () => {
      let t = 1_000;
      const clock = { now: () => (t += 10) };
      const slow = probeKind("slow", { delayMs: 5 });
      const plan = planOf(
        [
          node("a", "transform"),
          node("b", "slow", { inputs: { a: ref("a") } }),
          node("c", "transform", { inputs: { b: ref("b") } }),
        ],
        [slow],
      );
      const result = await runFlow(plan, { clock });
      // Turn 1 (clock 1010): a runs and b starts. b settles in turn 2 (1020), where c runs and the run ends.
      expect(result.timings.nodes).toEqual({
        a: { status: "ok", startedAt: 1_010, endedAt: 1_010, durationMs: 0, attempts: 1 },
        b: { status: "ok", startedAt: 1_010, endedAt: 1_020, durationMs: 10, attempts: 1 },
        c: { status: "ok", startedAt: 1_020, endedAt: 1_020, durationMs: 0, attempts: 1 },
      });
      expect([result.timings.startedAt, result.timings.endedAt, result.timings.durationMs]).toEqual([
        1_010, 1_020, 10,
      ]);
    });

    it("reuses one plan for many runs without sharing state between them", async () => {
      const plan = planOf([node("a", "transform", { inputs: { n: "${{ trigger.n }}" } })], [], {
        output: "a",
      });
      const results = await Promise.all([1, 2, 3].map((n) => runFlow(plan, { trigger: { n } })));
      expect(results.map((r) => r.output)).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
      expect(new Set(results.map((r) => r.runId)).size).toBe(3);
    });
  });
}
