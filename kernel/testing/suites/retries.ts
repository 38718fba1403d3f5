import { describe, expect, it } from "vitest";
import { NonRetriableError, RetryAfterError } from "../../errors.ts";
import type { NodeRetryEvent } from "../../events.ts";
import { runFlow, startRun } from "../../executor.ts";
import { eventLog, eventsOf, memoryLogger, mockFetch, node, planOf, probeKind, wait } from "../helpers.ts";

const retryDelays = (events: ReturnType<typeof eventLog>["events"]): number[] =>
  eventsOf(events, "node.retry").map((e) => (e as NodeRetryEvent).delayMs);

/** Retry policies and the effect rules that gate them. */
export function retriesSuite(): void {
  describe("retries", () => {
    const flaky = (failures: number, effect: "pure" | "read" | "write" | "external" = "pure") =>
      probeKind(`flaky.${effect}`, {
        effect,
        fail: (attempt) => (attempt <= failures ? new Error(`attempt ${attempt} failed`) : undefined),
      });

    it("retries a pure node with exponential backoff until it succeeds", async () => {
      const kind = flaky(3);
      const log = eventLog();
      const plan = planOf(
        [node("a", kind.spec.kind, { retry: { attempts: 5, delay: "2ms", backoff: "exponential" } })],
        [kind],
      );
      const result = await runFlow(plan, { onEvent: log.onEvent });
      expect(result.status).toBe("ok");
      expect(kind.calls.map((c) => c.attempt)).toEqual([1, 2, 3, 4]);
      expect(retryDelays(log.events)).toEqual([2, 4, 8]);
      expect(eventsOf(log.events, "node.retry").map((e) => (e as NodeRetryEvent).attempt)).toEqual([1, 2, 3]);
      expect(result.timings.nodes.a!.attempts).toBe(4);
    });

    it("follows linear and constant backoff, capped by maxDelay", async () => {
      for (const [backoff, expected] of [
        ["linear", [2, 4, 5]],
        ["constant", [2, 2, 2]],
      ] as const) {
        const kind = flaky(3);
        const log = eventLog();
        const retry = { attempts: 4, delay: "2ms", maxDelay: "5ms", backoff };
        await runFlow(planOf([node("a", kind.spec.kind, { retry })], [kind]), { onEvent: log.onEvent });
        expect(retryDelays(log.events)).toEqual(expected);
      }
    });

    it("puts jitter between half and all of the delay", async () => {
      const kind = flaky(2);
      const log = eventLog();
      const retry = { attempts: 3, delay: "8ms", backoff: "constant" as const, jitter: true };
      await runFlow(planOf([node("a", kind.spec.kind, { retry })], [kind]), {
        onEvent: log.onEvent,
        random: () => 0.5,
      });
      expect(retryDelays(log.events)).toEqual([6, 6]);
    });

    it("gives up after the policy's attempts with the last error", async () => {
      const kind = flaky(10);
      const logger = memoryLogger();
      const result = await runFlow(
        planOf([node("a", kind.spec.kind, { retry: { attempts: 3, delay: "1ms" } })], [kind]),
        { logger },
      );
      expect(result.status).toBe("failed");
      expect(kind.calls).toHaveLength(3);
      expect(result.error?.code).toBe("INTERNAL");
      expect(result.timings.nodes.a!.attempts).toBe(3);
      expect(logger.lines[0]?.fields).toMatchObject({ cause: { message: "attempt 3 failed" } });
    });

    it("stops at once on NonRetriableError", async () => {
      const kind = probeKind("picky", {
        fail: () => new NonRetriableError("bad input", { code: "BAD_INPUT", expose: true }),
      });
      const result = await runFlow(
        planOf([node("a", "picky", { retry: { attempts: 5, delay: "1ms" } })], [kind]),
        {
          logger: memoryLogger(),
        },
      );
      expect(kind.calls).toHaveLength(1);
      expect(result.error?.code).toBe("BAD_INPUT");
    });

    it("waits the delay a RetryAfterError asks for", async () => {
      const kind = probeKind("busy", {
        fail: (attempt) => (attempt === 1 ? new RetryAfterError(15) : undefined),
      });
      const log = eventLog();
      const plan = planOf([node("a", "busy", { retry: { attempts: 2, delay: "1ms" } })], [kind]);
      const result = await runFlow(plan, { onEvent: log.onEvent });
      expect(result.status).toBe("ok");
      expect(retryDelays(log.events)).toEqual([15]);
      expect(kind.calls[1]!.startedAt - kind.calls[0]!.startedAt).toBeGreaterThanOrEqual(14);
    });

    it("never retries a write or external node without an idempotency key or opt-in", async () => {
      for (const effect of ["write", "external"] as const) {
        const kind = flaky(1, effect);
        const plan = planOf([node("a", kind.spec.kind, { retry: { attempts: 5, delay: "1ms" } })], [kind]);
        expect(plan.nodes[0]!.retry).toMatchObject({ attempts: 1, gated: true });
        const result = await runFlow(plan, { logger: memoryLogger() });
        expect(result.status).toBe("failed");
        expect(kind.calls).toHaveLength(1);
      }
    });

    it("does not apply the flow's default retry to a write node, but does to a read node", async () => {
      const write = flaky(1, "write");
      const read = flaky(1, "read");
      const defaults = { retry: { attempts: 3, delay: "1ms" } };
      const readResult = await runFlow(planOf([node("r", read.spec.kind)], [read], { defaults }));
      const writeResult = await runFlow(planOf([node("w", write.spec.kind)], [write], { defaults }), {
        logger: memoryLogger(),
      });
      expect([readResult.status, writeResult.status]).toEqual(["ok", "failed"]);
      expect(read.calls).toHaveLength(2);
      expect(write.calls).toHaveLength(1);
    });

    it("retries a write node that carries an idempotency key, or whose policy says idempotent", async () => {
      const keyed = flaky(1, "write");
      const optedIn = flaky(1, "external");
      const plan = planOf(
        [
          node("k", keyed.spec.kind, {
            retry: { attempts: 2, delay: "1ms" },
            idempotencyKey: "'order-' + string(trigger.id)",
          }),
          node("o", optedIn.spec.kind, { retry: { attempts: 2, delay: "1ms", idempotent: true } }),
        ],
        [keyed, optedIn],
      );
      const result = await runFlow(plan, { trigger: { id: 7 } });
      expect(result.status).toBe("ok");
      expect(keyed.calls).toHaveLength(2);
      expect(optedIn.calls).toHaveLength(2);
    });

    it("sends the idempotency key with http.fetch and retries it on 503", async () => {
      let calls = 0;
      const fetch = mockFetch(() =>
        ++calls === 1 ? new Response("busy", { status: 503 }) : Response.json({ ok: true }),
      );
      const plan = planOf(
        [
          node("call", "http.fetch", {
            inputs: { url: "https://api.example.com/orders", body: { id: 1 } },
            idempotencyKey: "'order-1'",
            retry: { attempts: 3, delay: "1ms" },
          }),
        ],
        [],
        { output: "call" },
      );
      const result = await runFlow(plan, { fetch });
      expect(result.status).toBe("ok");
      expect(fetch.requests.map((r) => r.headers.get("idempotency-key"))).toEqual(["order-1", "order-1"]);
    });

    it("uses a kind's default retry policy", async () => {
      const kind = probeKind("kv.like", {
        effect: "read",
        defaultRetry: { attempts: 2, delay: "1ms" },
        fail: (a) => (a === 1 ? new Error("x") : undefined),
      });
      const result = await runFlow(planOf([node("a", "kv.like")], [kind]));
      expect(result.status).toBe("ok");
      expect(kind.calls).toHaveLength(2);
    });

    it("retries a pure node whose attempt timed out, with a fresh timeout", async () => {
      const kind = probeKind("slowFirst", { delayMs: 5 });
      const slowOnce = {
        ...kind,
        run: (ctx: Parameters<typeof kind.run>[0]) =>
          ctx.attempt === 1 ? ctx.sleep(1_000).then(() => ({})) : kind.run(ctx),
      };
      const plan = planOf(
        [node("a", "slowFirst", { timeout: "20ms", retry: { attempts: 2, delay: "1ms" } })],
        [slowOnce],
      );
      const result = await runFlow(plan);
      expect(result.status).toBe("ok");
      expect(result.timings.nodes.a!.attempts).toBe(2);
    });

    it("does not retry after the run was cancelled, and a cancel interrupts the backoff", async () => {
      const kind = flaky(10);
      const plan = planOf([node("a", kind.spec.kind, { retry: { attempts: 5, delay: "5s" } })], [kind]);
      const run = startRun(plan, { logger: memoryLogger() });
      await wait(10);
      const started = performance.now();
      run.cancel();
      const result = await run.result;
      expect(performance.now() - started).toBeLessThan(150);
      expect(result.status).toBe("cancelled");
      expect(kind.calls).toHaveLength(1);
    });
  });
}
