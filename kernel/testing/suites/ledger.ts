import { describe, expect, it } from "vitest";
import { FlowError } from "../../errors.ts";
import { runFlow, startRun } from "../../executor.ts";
import { MemoryJournal } from "../../journal.ts";
import { type IdempotencyLedger, MemoryLedger } from "../../ledger.ts";
import { eventLog, eventsOf, memoryLogger, node, planOf, probeKind, ref } from "../helpers.ts";

/** The idempotency ledger: claim before an effectful node with a key, replay when done, release on failure. */
export function ledgerSuite(): void {
  describe("idempotency ledger", () => {
    it("MemoryLedger: new, then pending while held, done with the result once completed, new after release", () => {
      let now = 1_000;
      const ledger = new MemoryLedger(() => now);
      expect(ledger.claim("k", 60_000)).toEqual({ state: "new" });
      expect(ledger.claim("k", 60_000)).toEqual({ state: "pending" });
      ledger.complete("k", { out: 1 });
      expect(ledger.claim("k", 60_000)).toEqual({ state: "done", result: { out: 1 } });
      ledger.release("k"); // a done key is not released
      expect(ledger.claim("k", 60_000)).toEqual({ state: "done", result: { out: 1 } });
      now += 60_001;
      expect(ledger.claim("k", 60_000)).toEqual({ state: "new" });
      ledger.release("k");
      expect(ledger.claim("k", 60_000)).toEqual({ state: "new" });
    });

    it("MemoryLedger: a pending claim whose lease ran out can be claimed again", () => {
      let now = 0;
      const ledger = new MemoryLedger(() => now);
      expect(ledger.claim("k", 60_000, 100)).toEqual({ state: "new" });
      now = 99;
      expect(ledger.claim("k", 60_000, 100)).toEqual({ state: "pending" });
      now = 100;
      expect(ledger.claim("k", 60_000, 100)).toEqual({ state: "new" });
    });

    const chargeFlow = (effect: "write" | "external" | "pure" = "write") => {
      const charge = probeKind(`charge.${effect}`, {
        effect,
        answer: (ctx) => ({ out: { charged: ctx.inputs.amount } }),
      });
      const plan = planOf(
        [
          node("pay", charge.spec.kind, {
            inputs: { amount: "${{ trigger.amount }}" },
            idempotencyKey: "${{ trigger.id }}",
          }),
          node("reply", "respond", { inputs: { body: ref("pay") } }),
        ],
        [charge],
      );
      return { charge, plan };
    };

    it("runs a keyed write node once per key and replays its recorded outputs for the same key", async () => {
      const { charge, plan } = chargeFlow();
      const ledger = new MemoryLedger();
      const first = await runFlow(plan, { ledger, trigger: { id: "a", amount: 5 } });
      const log = eventLog();
      const second = await runFlow(plan, { ledger, trigger: { id: "a", amount: 7 }, onEvent: log.onEvent });
      const third = await runFlow(plan, { ledger, trigger: { id: "b", amount: 7 } });
      expect(charge.calls.map((c) => c.inputs.amount)).toEqual([5, 7]);
      const body = (r: { output?: unknown }): unknown => (r.output as { body: unknown }).body;
      expect(body(first)).toEqual({ charged: 5 });
      expect(body(second)).toEqual({ charged: 5 });
      expect(body(third)).toEqual({ charged: 7 });
      expect(eventsOf(log.events, "node.output", "pay")[0]).toMatchObject({ replayed: true });
      expect([...ledger.entries.keys()]).toEqual(["test-flow:pay:a", "test-flow:pay:b"]);
    });

    it("claims external nodes too, but never pure nodes or nodes without a key", async () => {
      const external = chargeFlow("external");
      const ledger = new MemoryLedger();
      await runFlow(external.plan, { ledger, trigger: { id: "x", amount: 1 } });
      await runFlow(external.plan, { ledger, trigger: { id: "x", amount: 1 } });
      expect(external.charge.calls).toHaveLength(1);
      const pure = chargeFlow("pure");
      await runFlow(pure.plan, { ledger, trigger: { id: "y", amount: 1 } });
      const unkeyed = probeKind("unkeyed", { effect: "write" });
      await runFlow(planOf([node("w", "unkeyed")], [unkeyed]), { ledger });
      expect([...ledger.entries.keys()]).toEqual(["test-flow:pay:x"]);
    });

    it("fails with the retriable IDEMPOTENCY_PENDING, without running the node, while another run holds the key", async () => {
      const held = probeKind("held", { effect: "write" });
      const ledger = new MemoryLedger();
      ledger.claim("test-flow:w:k", 60_000);
      const plan = planOf([node("w", "held", { idempotencyKey: "${{ 'k' }}" })], [held]);
      const result = await runFlow(plan, { ledger, logger: memoryLogger() });
      expect(result.status).toBe("failed");
      expect(result.error?.code).toBe("IDEMPOTENCY_PENDING");
      expect(result.error?.retriable).toBe(true);
      expect(result.error?.status).toBe(409);
      expect(result.error?.message).toBe(
        "idempotency key `test-flow:w:k` is held by another run that has not finished; retry later",
      );
      expect(held.calls).toHaveLength(0);
    });

    it("releases the key when the node fails, so that a later run applies the effect", async () => {
      let broken = true;
      const flaky = probeKind("flaky.w", {
        effect: "write",
        fail: () => (broken ? new FlowError("DOWN", "down", { retriable: true }) : undefined),
      });
      const plan = planOf([node("w", "flaky.w", { idempotencyKey: "${{ 'k' }}" })], [flaky]);
      const ledger = new MemoryLedger();
      expect((await runFlow(plan, { ledger, logger: memoryLogger() })).status).toBe("failed");
      expect(ledger.entries.size).toBe(0);
      broken = false;
      expect((await runFlow(plan, { ledger })).status).toBe("ok");
      expect(flaky.calls).toHaveLength(2);
      expect(ledger.entries.get("test-flow:w:k")?.state).toBe("done");
    });

    it("releases the key when the run is cancelled while the node runs", async () => {
      const hang = probeKind("hang", { effect: "external", answer: () => undefined, delayMs: 60_000 });
      const plan = planOf([node("h", "hang", { idempotencyKey: "${{ 'k' }}" })], [hang]);
      const ledger = new MemoryLedger();
      const run = startRun(plan, { ledger, logger: memoryLogger() });
      for await (const event of run.events) if (event.type === "node.start") break;
      await new Promise((resolve) => setTimeout(resolve, 1));
      run.cancel("test");
      expect((await run.result).status).toBe("cancelled");
      expect(ledger.entries.size).toBe(0);
    });

    it("leases a claim for the run's deadline plus the grace period, and keeps a done key for ledgerTtlMs", async () => {
      const claims: unknown[][] = [];
      const inner = new MemoryLedger();
      const ledger: IdempotencyLedger = {
        claim: (...args) => {
          claims.push(args);
          return inner.claim(...args);
        },
        complete: (key, result) => inner.complete(key, result),
        release: (key) => inner.release(key),
      };
      const { plan } = chargeFlow();
      await runFlow(plan, {
        ledger,
        ledgerTtlMs: 5_000,
        deadlineMs: 2_000,
        graceMs: 10,
        trigger: { id: "z", amount: 1 },
      });
      expect(claims).toEqual([["test-flow:pay:z", 5_000, 2_010]]);
    });

    it("fails with IDEMPOTENCY_FAILED when the ledger cannot be reached, and does not run the node", async () => {
      const ledger: IdempotencyLedger = {
        claim: () => Promise.reject(new Error("offline")),
        complete: () => {},
        release: () => {},
      };
      const { charge, plan } = chargeFlow();
      const result = await runFlow(plan, { ledger, logger: memoryLogger(), trigger: { id: "q", amount: 1 } });
      expect(result.error?.code).toBe("IDEMPOTENCY_FAILED");
      expect(result.error?.retriable).toBe(true);
      expect(result.error?.expose).toBe(false);
      expect(charge.calls).toHaveLength(0);
    });

    it("keeps the run's success when completing the key fails, and logs a warning", async () => {
      const inner = new MemoryLedger();
      const ledger: IdempotencyLedger = {
        claim: (key, ttl, lease) => inner.claim(key, ttl, lease),
        complete: () => Promise.reject(new Error("offline")),
        release: () => {},
      };
      const logger = memoryLogger();
      const { plan } = chargeFlow();
      const result = await runFlow(plan, { ledger, logger, trigger: { id: "c", amount: 3 } });
      expect(result.status).toBe("ok");
      expect(logger.lines.map((l) => l.message)).toContain(
        "could not complete an idempotency key; it will expire",
      );
    });

    it("consults the journal first: a journaled step is replayed without claiming its key again", async () => {
      const { charge, plan } = chargeFlow();
      const ledger = new MemoryLedger();
      const journal = new MemoryJournal();
      await runFlow(plan, { ledger, journal, trigger: { id: "j", amount: 1 } });
      ledger.entries.clear();
      const again = await runFlow(plan, { ledger, journal, trigger: { id: "j", amount: 1 } });
      expect(again.status).toBe("ok");
      expect(charge.calls).toHaveLength(1);
      expect(ledger.entries.size).toBe(0);
    });

    it("applies the effect once when the same key runs concurrently: the others fail as pending", async () => {
      const slow = probeKind("slow.w", { effect: "write", delayMs: 5 });
      const plan = planOf([node("w", "slow.w", { idempotencyKey: "${{ 'same' }}" })], [slow]);
      const ledger = new MemoryLedger();
      const results = await Promise.all(
        [1, 2, 3].map(() => runFlow(plan, { ledger, logger: memoryLogger() })),
      );
      expect(results.map((r) => r.error?.code ?? r.status).sort()).toEqual([
        "IDEMPOTENCY_PENDING",
        "IDEMPOTENCY_PENDING",
        "ok",
      ]);
      expect(slow.calls).toHaveLength(1);
    });
  });
}
