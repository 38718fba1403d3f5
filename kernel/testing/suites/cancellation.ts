import { describe, expect, it } from "vitest";
import { runFlow, startRun } from "../../executor.ts";
import { createPlan, DEFAULT_DEADLINE_MS } from "../../plan.ts";
import {
  eventLog,
  eventProblems,
  eventsOf,
  flow,
  memoryLogger,
  mockFetch,
  never,
  node,
  planOf,
  probeKind,
  ref,
  wait,
} from "../helpers.ts";

/** Cancellation sources (caller signal, explicit cancel, deadline, node timeout) and what they guarantee. */
export function cancellationSuite(): void {
  describe("cancellation and time", () => {
    const chain = () => {
      const slow = probeKind("slow", { delayMs: 30 });
      const plan = planOf(
        [
          node("a", "slow"),
          node("b", "slow", { inputs: { a: ref("a") } }),
          node("c", "slow", { inputs: { b: ref("b") } }),
        ],
        [slow],
      );
      return { slow, plan };
    };

    it("cancels when the caller's signal aborts: the running node sees the abort, no later node starts", async () => {
      const { slow, plan } = chain();
      const caller = new AbortController();
      const log = eventLog();
      const pending = runFlow(plan, { signal: caller.signal, onEvent: log.onEvent, logger: memoryLogger() });
      await wait(45);
      caller.abort();
      const result = await pending;
      expect(result.status).toBe("cancelled");
      expect(result.error?.code).toBe("RUN_CANCELLED");
      expect(result.error?.message).toBe("run cancelled: the caller's signal was aborted");
      expect(slow.calls.map((c) => c.nodeId)).toEqual(["a", "b"]);
      expect((slow.calls[1]!.aborted as Error).message).toBe(result.error?.message);
      expect(slow.running).toBe(0);
      expect(eventsOf(log.events, "node.start", "c")).toEqual([]);
      expect(eventsOf(log.events, "node.error", "b")[0]).toMatchObject({ error: { code: "RUN_CANCELLED" } });
      expect(eventProblems(log.events)).toEqual([]);
    });

    it("starts no node at all when the caller's signal is already aborted", async () => {
      const { slow, plan } = chain();
      const log = eventLog();
      const result = await runFlow(plan, { signal: AbortSignal.abort(), onEvent: log.onEvent });
      expect(result.status).toBe("cancelled");
      expect(slow.calls).toEqual([]);
      expect(log.events.map((e) => e.type)).toEqual(["run.start", "run.end"]);
    });

    it("follows the caller's signal only once the run goes asynchronous, and stops following it at the end", async () => {
      const counted = (): { signal: AbortSignal; added: number; removed: number } => {
        const signal = new AbortController().signal;
        const counts = { signal, added: 0, removed: 0 };
        const add = signal.addEventListener.bind(signal);
        const remove = signal.removeEventListener.bind(signal);
        signal.addEventListener = (...args: Parameters<typeof add>) => {
          counts.added++;
          add(...args);
        };
        signal.removeEventListener = (...args: Parameters<typeof remove>) => {
          counts.removed++;
          remove(...args);
        };
        return counts;
      };
      const quick = probeKind("quick");
      const syncPlan = planOf([node("a", "quick"), node("b", "quick", { inputs: { a: ref("a") } })], [quick]);
      const sync = counted();
      expect((await runFlow(syncPlan, { signal: sync.signal })).status).toBe("ok");
      expect([sync.added, sync.removed]).toEqual([0, 0]);
      const { plan } = chain();
      const slow = counted();
      expect((await runFlow(plan, { signal: slow.signal })).status).toBe("ok");
      expect([slow.added, slow.removed]).toEqual([1, 1]);
    });

    it("puts the deadline and every node's timeout on one platform timer, cleared when the run ends", async () => {
      const calls = { set: 0, clear: 0 };
      const pending = new Set<unknown>();
      const timers = {
        setTimeout: (callback: () => void, ms: number): unknown => {
          calls.set++;
          const handle = setTimeout(callback, ms);
          pending.add(handle);
          return handle;
        },
        clearTimeout: (handle: unknown): void => {
          calls.clear++;
          pending.delete(handle);
          clearTimeout(handle as ReturnType<typeof setTimeout>);
        },
      };
      // Waiting on a platform timer of its own (not `ctx.sleep`, which would be the run's too).
      const timed = probeKind("timed", { delayMs: 5, ignoreSignal: true, defaultTimeout: "10s" });
      const plan = planOf(
        [
          node("a", "timed"),
          node("b", "timed", { inputs: { a: ref("a") } }),
          node("c", "timed", { inputs: { a: ref("a") } }),
        ],
        [timed],
      );
      expect((await runFlow(plan, { timers })).status).toBe("ok");
      expect(calls).toEqual({ set: 1, clear: 1 });
      expect(pending.size).toBe(0);
      // The timeouts still fire: a node slower than its timeout fails with NODE_TIMEOUT.
      const slow = probeKind("slow", { delayMs: 200, defaultTimeout: "20ms" });
      const late = await runFlow(planOf([node("a", "slow")], [slow]), { timers, logger: memoryLogger() });
      expect(late.error?.code).toBe("NODE_TIMEOUT");
    });

    it("cancels through the run handle with a reason", async () => {
      const { slow, plan } = chain();
      const run = startRun(plan, { logger: memoryLogger() });
      await wait(10);
      run.cancel("user pressed stop");
      const result = await run.result;
      expect(result.status).toBe("cancelled");
      expect(result.error?.message).toBe("run cancelled: user pressed stop");
      expect(slow.calls).toHaveLength(1);
      expect(result.timings.nodes.a!.status).toBe("failed");
    });

    it("ends with deadline_exceeded when the deadline passes, aborting the running node", async () => {
      const { slow, plan } = chain();
      const result = await runFlow(plan, { deadlineMs: 40, logger: memoryLogger() });
      expect(result.status).toBe("deadline_exceeded");
      expect(result.error?.code).toBe("DEADLINE_EXCEEDED");
      expect(result.error?.status).toBe(504);
      expect(result.error?.message).toBe("run exceeded its deadline of 40ms");
      expect(slow.calls.map((c) => c.nodeId)).toEqual(["a", "b"]);
      expect(slow.calls[1]!.aborted).toBe(result.error);
    });

    it("reads the deadline from defaults.deadline, else 25 s (below the Workers limits)", () => {
      expect(DEFAULT_DEADLINE_MS).toBe(25_000);
      expect(createPlan(flow([node("a", "transform")])).deadlineMs).toBe(25_000);
      expect(createPlan(flow([node("a", "transform")], { defaults: { deadline: "2m" } })).deadlineMs).toBe(
        120_000,
      );
    });

    it("checks the deadline during a long synchronous turn, reading the clock every 64 nodes", async () => {
      let t = 0;
      const clock = { now: () => (t += 1_000) };
      const nodes = Array.from({ length: 200 }, (_, i) =>
        node(`n${i}`, "transform", i ? { inputs: { p: ref(`n${i - 1}`) } } : {}),
      );
      const result = await runFlow(planOf(nodes), { clock, deadlineMs: 1_500 });
      expect(result.status).toBe("deadline_exceeded");
      expect(Object.keys(result.timings.nodes)).toHaveLength(127);
    });

    it("aborts the work of a node that times out, not just the wait", async () => {
      const slow = probeKind("slow", { delayMs: 1_000 });
      const plan = planOf([node("a", "slow", { timeout: "20ms" })], [slow]);
      const started = performance.now();
      const result = await runFlow(plan, { logger: memoryLogger() });
      expect(performance.now() - started).toBeLessThan(500);
      expect(result.status).toBe("failed");
      expect(result.error?.code).toBe("NODE_TIMEOUT");
      expect(result.error?.message).toBe("node `a` timed out after 20ms (attempt 1)");
      expect(slow.calls[0]!.aborted).toBe(result.error);
      expect(slow.running).toBe(0);
    });

    it("aborts an in-flight fetch when its node times out", async () => {
      const fetch = mockFetch(() => never());
      const plan = planOf([
        node("call", "http.fetch", { inputs: { url: "https://api.example.com/slow" }, timeout: "25ms" }),
      ]);
      const result = await runFlow(plan, { fetch, logger: memoryLogger() });
      expect(result.error?.code).toBe("NODE_TIMEOUT");
      expect(fetch.requests).toHaveLength(1);
      expect(fetch.aborted).toEqual([result.error]);
    });

    it("abandons a node that ignores its signal after the grace period, so the run still ends", async () => {
      const stubborn = probeKind("stubborn", { delayMs: 300, ignoreSignal: true });
      const plan = planOf([node("a", "stubborn", { timeout: "10ms" })], [stubborn]);
      const started = performance.now();
      const result = await runFlow(plan, { graceMs: 20, logger: memoryLogger() });
      expect(performance.now() - started).toBeLessThan(400);
      expect(result.error?.code).toBe("NODE_TIMEOUT");
      expect(result.error?.details).toMatchObject({ abandoned: true });
    });

    it("cancels a running delay node at once", async () => {
      const plan = planOf([node("pause", "delay", { config: { duration: "10s" } })]);
      const run = startRun(plan, { logger: memoryLogger() });
      await wait(5);
      const started = performance.now();
      run.cancel();
      const result = await run.result;
      expect(performance.now() - started).toBeLessThan(150);
      expect(result.status).toBe("cancelled");
    });

    it("cancels the other branches when a node fails, and reports that node's error", async () => {
      const slow = probeKind("slow", { delayMs: 200 });
      const plan = planOf(
        [
          node("long", "slow"),
          node("broken", "fail", { inputs: { message: "nope" }, config: { code: "BROKEN" } }),
        ],
        [slow],
      );
      const log = eventLog();
      const result = await runFlow(plan, { onEvent: log.onEvent, logger: memoryLogger() });
      expect(result.status).toBe("failed");
      expect(result.error?.code).toBe("BROKEN");
      expect(slow.calls[0]!.aborted).toMatchObject({
        code: "RUN_CANCELLED",
        message: "run stopped because node `broken` failed",
      });
      expect(eventProblems(log.events)).toEqual([]);
    });
  });
}
