import { describe, expect, it } from "vitest";
import { EventQueue, type RunEvent, toEventStream } from "../../events.ts";
import { runFlow, startRun } from "../../executor.ts";
import { eventLog, eventProblems, memoryLogger, node, planOf, probeKind, ref } from "../helpers.ts";

/** The run event stream: order, numbering, content, and its iterable and stream forms. */
export function eventsSuite(): void {
  describe("run events", () => {
    const plan = () => {
      const slow = probeKind("slow", { delayMs: 5 });
      return planOf(
        [
          node("a", "transform", { inputs: { v: 1 } }),
          node("b", "slow", { inputs: { a: ref("a") } }),
          node("c", "transform", { when: "false" }),
          node("reply", "respond", { inputs: { body: ref("b") } }),
        ],
        [slow],
      );
    };

    it("numbers events from 1, starts with run.start, ends with run.end, and stamps them with the clock", async () => {
      let t = 0;
      const log = eventLog();
      const result = await runFlow(plan(), {
        onEvent: log.onEvent,
        clock: { now: () => (t += 1) },
        runId: "r1",
      });
      expect(eventProblems(log.events)).toEqual([]);
      expect(log.events.map((e) => e.type)).toEqual([
        "run.start",
        "node.start",
        "node.output",
        "node.end",
        "node.skipped",
        "node.start",
        "node.output",
        "node.end",
        "node.start",
        "node.output",
        "node.end",
        "run.end",
      ]);
      expect(log.events[0]).toMatchObject({
        seq: 1,
        runId: "r1",
        at: 1,
        flowId: "test-flow",
        flowVersion: "1.0.0",
      });
      expect(log.events[1]).toMatchObject({
        type: "node.start",
        nodeId: "a",
        kind: "transform",
        stepKey: "a#1",
      });
      expect(log.events[2]).toMatchObject({ type: "node.output", nodeId: "a", outputs: { out: { v: 1 } } });
      const end = log.events.at(-1)!;
      expect(end).toMatchObject({ type: "run.end", status: "ok", timings: result.timings });
      expect(end.at).toBe(result.timings.endedAt);
    });

    it("reports a failure as node.error with the client envelope and run.end with the error", async () => {
      const log = eventLog();
      const failing = planOf([
        node("oops", "fail", {
          inputs: { message: "no such user", details: { id: 3 } },
          config: { code: "USER_NOT_FOUND", status: 404 },
        }),
      ]);
      const result = await runFlow(failing, { onEvent: log.onEvent, runId: "r2", logger: memoryLogger() });
      const expected = {
        code: "USER_NOT_FOUND",
        message: "no such user",
        details: { id: 3 },
        runId: "r2",
        nodeId: "oops",
      };
      expect(log.events.find((e) => e.type === "node.error")).toMatchObject({ error: expected, attempts: 1 });
      expect(log.events.at(-1)).toMatchObject({
        type: "run.end",
        status: "failed",
        error: { code: "USER_NOT_FOUND", runId: "r2" },
      });
      expect(result.error?.status).toBe(404);
    });

    it("offers the same events as an async iterable and as a ReadableStream, however late they are read", async () => {
      const log = eventLog();
      const run = startRun(plan(), { onEvent: log.onEvent });
      await run.result;
      const iterated: RunEvent[] = [];
      for await (const event of run.events) iterated.push(event);
      const streamed: RunEvent[] = [];
      const reader = run.eventStream().getReader();
      for (let step = await reader.read(); !step.done; step = await reader.read()) streamed.push(step.value);
      expect(iterated).toEqual(log.events);
      expect(streamed).toEqual(log.events);
    });

    it("streams events while the run is going on", async () => {
      const run = startRun(plan());
      const types: string[] = [];
      let seenWhenEnded = -1;
      void run.result.then(() => {
        seenWhenEnded = types.length;
      });
      for await (const event of run.events) types.push(event.type);
      expect(types[0]).toBe("run.start");
      expect(types.at(-1)).toBe("run.end");
      // Before the slow node finished, the reader had already received the events up to its start.
      expect(seenWhenEnded).toBeGreaterThanOrEqual(6);
    });

    it("records no events when nobody asked for them before the run started, and says so when they are read later", async () => {
      const run = startRun(plan());
      expect((await run.result).status).toBe("ok");
      expect(() => run.events).toThrow(
        new TypeError(
          `run \`${run.runId}\` records no events: read \`events\` in the turn that started it, or pass \`onEvent\``,
        ),
      );
      expect(() => run.eventStream()).toThrow(TypeError);
    });

    it("gives the output to a handle asked for it after the run ended, and undefined when there is none", async () => {
      const run = startRun(plan());
      await run.result;
      expect(await run.output).toEqual({ value: { status: 200, headers: {}, body: { a: { v: 1 } } } });
      const failing = startRun(
        planOf([node("boom", "fail", { inputs: { message: "no" }, config: { code: "NO" } })]),
        {
          logger: memoryLogger(),
        },
      );
      expect((await failing.result).status).toBe("failed");
      expect(await failing.output).toEqual({ value: undefined });
    });

    it("keeps running when an event subscriber throws", async () => {
      const result = await runFlow(plan(), {
        logger: memoryLogger(),
        onEvent: () => {
          throw new Error("listener bug");
        },
      });
      expect(result.status).toBe("ok");
    });

    it("ends an event queue after run.end and converts it to a stream", async () => {
      const queue = new EventQueue();
      const start = { type: "run.start", seq: 1, runId: "x", at: 0, flowId: "f", flowVersion: "1" } as const;
      queue.push(start);
      const end = {
        type: "run.end",
        seq: 2,
        runId: "x",
        at: 0,
        status: "ok",
        durationMs: 0,
        timings: { startedAt: 0, endedAt: 0, durationMs: 0, nodes: {} },
      } as const;
      queue.push(end);
      const reader = toEventStream(queue).getReader();
      expect((await reader.read()).value).toEqual(start);
      expect((await reader.read()).value).toEqual(end);
      expect((await reader.read()).done).toBe(true);
    });
  });
}
