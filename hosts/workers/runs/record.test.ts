import { describe, expect, it } from "vitest";
import { runFlow } from "../../../kernel/index.ts";
import { eventLog as collect, memoryLogger, node, planOf } from "../../../kernel/testing/helpers.ts";
import { cappedJson, eventLog, RECORD_LIMITS, runRecord, storedEvent, utf8Bytes } from "./record.ts";

// The record of a run and its event log, built from a real RunResult and its events: per-node state and errors,
// the output or the error envelope, and every part within its cap with a marker when cut.

const identity = {
  flowId: "test-flow",
  flowVersion: "1.0.0",
  trigger: { type: "http", id: "http" },
  retentionMs: 60_000,
};
const clock = (start = 1_000) => {
  let now = start;
  return { now: () => now++ };
};

const okPlan = planOf([
  node("double", "transform", { inputs: { n: "${{ trigger.n * 2 }}" } }),
  node("reply", "respond", { inputs: { body: "${{ nodes.double.out }}" } }),
]);
const failingPlan = planOf([
  node("start", "transform", { inputs: { a: 1 } }),
  node("boom", "fail", {
    after: ["start"],
    config: { code: "BOOM", status: 418 },
    inputs: { message: "no" },
  }),
]);

describe("runRecord", () => {
  it("records an ok run: flow, trigger, status, timings, per-node state, the output, and expiry after its end", async () => {
    const { events, onEvent } = collect();
    const result = await runFlow(okPlan, { trigger: { n: 21 }, clock: clock(), onEvent });
    const { record, events: log } = runRecord(identity, result, events);
    expect(record).toMatchObject({
      runId: result.runId,
      flowId: "test-flow",
      flowVersion: "1.0.0",
      trigger: { type: "http", id: "http" },
      status: "ok",
      startedAt: result.timings.startedAt,
      endedAt: result.timings.endedAt,
      expiresAt: result.timings.endedAt + 60_000,
    });
    expect(record.output).toEqual({ status: 200, headers: {}, body: { n: 42 } });
    expect(record.error).toBeUndefined();
    expect(Object.keys(record.nodes).sort()).toEqual(["double", "reply"]);
    expect(record.nodes.double).toMatchObject({ status: "ok", attempts: 1 });
    // The log: every event with its seq as id, then the SSE stream's final `end` frame with the next id.
    expect(log.map((e) => e.id)).toEqual([...events.map((e) => e.seq), events.length + 1]);
    expect(log.at(-1)).toMatchObject({ type: "end" });
    expect(JSON.parse(log.at(-1)!.data)).toEqual({
      runId: result.runId,
      status: "ok",
      output: record.output,
    });
    expect(JSON.parse(log[0]!.data)).toEqual(JSON.parse(JSON.stringify(events[0])));
    expect(record.events).toEqual({ count: log.length, stored: log.length, lastId: log.length });
  });

  it("records a failed run with the envelope and the failing node's error, also without events", async () => {
    const result = await runFlow(failingPlan, { clock: clock(), logger: memoryLogger() });
    const { record, events } = runRecord(identity, result);
    expect(record.status).toBe("failed");
    expect(record.error).toMatchObject({ code: "BOOM", message: "no", runId: result.runId, nodeId: "boom" });
    expect(record.nodes.boom).toMatchObject({ status: "failed", error: { code: "BOOM", message: "no" } });
    expect(record.nodes.start?.error).toBeUndefined();
    expect(record.output).toBeUndefined();
    expect(events).toEqual([]);
    expect(record.events).toEqual({ count: 0, stored: 0, lastId: 0 });
  });

  it("ends a failed run's log with the `error` frame the SSE stream sends", async () => {
    const { events, onEvent } = collect();
    const result = await runFlow(failingPlan, { onEvent, logger: memoryLogger() });
    const log = runRecord(identity, result, events).events;
    expect(log.at(-1)).toMatchObject({ id: events.length + 1, type: "error" });
    expect(JSON.parse(log.at(-1)!.data)).toMatchObject({ error: { code: "BOOM", runId: result.runId } });
  });

  it("never puts an unexpected error's message in the record", async () => {
    const plan = planOf([node("x", "transform", { inputs: { a: "${{ trigger.missing.deep }}" } })]);
    const result = await runFlow(plan, { trigger: {}, logger: memoryLogger() });
    const { record } = runRecord(identity, result);
    expect(record.status).toBe("failed");
    expect(JSON.stringify(record)).not.toContain("stack");
    expect(record.error).toMatchObject({ code: "EXPRESSION_FAILED", nodeId: "x" });
  });

  it("replaces an output over 64 KiB by a marker with its size", async () => {
    const big = "é".repeat(40_000); // 80,000 bytes of UTF-8, 40,000 UTF-16 units
    const plan = planOf([node("reply", "respond", { inputs: { body: "${{ trigger.text }}" } })]);
    const result = await runFlow(plan, { trigger: { text: big } });
    const { record } = runRecord(identity, result);
    expect(record.output).toEqual({ truncated: true, bytes: utf8Bytes(JSON.stringify(result.output)) });
    expect((record.output as { bytes: number }).bytes).toBeGreaterThan(RECORD_LIMITS.outputBytes);
  });
});

describe("caps", () => {
  it("counts UTF-8 bytes (1 to 4 per code point) without encoding", () => {
    for (const text of ["", "abc", "é", "€", "𝄞", "a𝄞é€"])
      expect(utf8Bytes(text)).toBe(new TextEncoder().encode(text).length);
  });

  it("caps JSON at a size, with a marker of the size, and marks a value JSON cannot hold", () => {
    expect(cappedJson({ a: 1 }, 100)).toBe('{"a":1}');
    expect(JSON.parse(cappedJson({ a: "x".repeat(100) }, 10))).toEqual({ truncated: true, bytes: 108 });
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    expect(JSON.parse(cappedJson(cycle, 100))).toEqual({ truncated: true, bytes: -1 });
  });

  it("keeps an event over 16 KiB as a marker with its type, seq, node and size", () => {
    const event = {
      type: "node.output",
      seq: 4,
      runId: "r",
      at: 9,
      nodeId: "n",
      outputs: { out: "x".repeat(20_000) },
    };
    const stored = storedEvent(4, "node.output", event);
    expect(stored.id).toBe(4);
    expect(JSON.parse(stored.data)).toEqual({
      type: "node.output",
      seq: 4,
      runId: "r",
      at: 9,
      nodeId: "n",
      truncated: true,
      bytes: JSON.stringify(event).length,
    });
  });

  it("keeps at most RECORD_LIMITS.events events, always with the run's end, and says the log was cut", async () => {
    const n = RECORD_LIMITS.events + 50;
    const plan = planOf([node("reply", "respond", { inputs: { body: 1 } })]);
    const { events, onEvent } = collect();
    const result = await runFlow(plan, { onEvent });
    // Many chunk events between the start and the end, as a long streaming run has.
    const start = events[0]!;
    const end = events.at(-1)!;
    const many = [
      start,
      ...Array.from({ length: n }, (_, i) => ({
        type: "node.chunk" as const,
        seq: i + 2,
        runId: result.runId,
        at: 1,
        nodeId: "reply",
        port: null,
        index: i,
        chunk: i,
      })),
      { ...end, seq: n + 2 },
    ];
    const log = eventLog(many, result);
    expect(log.events).toHaveLength(RECORD_LIMITS.events);
    expect(log.events.at(-2)).toMatchObject({ type: "run.end", id: n + 2 });
    expect(log.events.at(-1)).toMatchObject({ type: "end", id: n + 3 });
    expect(log.summary).toEqual({
      count: n + 3,
      stored: RECORD_LIMITS.events,
      lastId: n + 3,
      truncated: true,
    });
  });

  it("counts events the collector left out, and marks the log cut", async () => {
    const { events, onEvent } = collect();
    const result = await runFlow(okPlan, { trigger: { n: 1 }, onEvent });
    const log = eventLog(events, result, 7);
    expect(log.summary).toMatchObject({
      count: events.length + 1 + 7,
      stored: events.length + 1,
      truncated: true,
    });
  });
});
