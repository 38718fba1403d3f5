import { describe, expect, it } from "vitest";
import { runFlow } from "../../executor.ts";
import { MemoryJournal, type RunJournal, stepKey } from "../../journal.ts";
import { createPlan } from "../../plan.ts";
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
} from "../helpers.ts";

/** The run journal: deterministic step keys, replay of finished effects, resume after a failure. */
export function journalSuite(): void {
  describe("run journal", () => {
    it("keys a step by node id and occurrence", () => {
      expect(stepKey("fetch", 1)).toBe("fetch#1");
      expect(stepKey("call#1/each.node", 3)).toBe("call#1/each.node#3");
    });

    it("records an effectful step and replays it instead of running it again", async () => {
      const charge = probeKind("charge", {
        effect: "write",
        answer: (ctx) => ({ out: { charged: ctx.inputs.amount } }),
      });
      const plan = planOf(
        [
          node("pay", "charge", { inputs: { amount: 5 } }),
          node("reply", "respond", { inputs: { body: ref("pay") } }),
        ],
        [charge],
      );
      const journal = new MemoryJournal();
      const first = await runFlow(plan, { journal, clock: { now: () => 42 } });
      expect([...journal.records.keys()]).toEqual(["pay#1"]);
      expect(journal.records.get("pay#1")).toEqual({
        status: "ok",
        outputs: { out: { charged: 5 } },
        at: 42,
        attempts: 1,
      });
      const log = eventLog();
      const second = await runFlow(plan, { journal, onEvent: log.onEvent });
      expect(charge.calls).toHaveLength(1);
      expect(second.output).toEqual(first.output);
      expect(eventsOf(log.events, "node.output", "pay")[0]).toMatchObject({ replayed: true });
    });

    it("does not journal pure nodes", async () => {
      const journal = new MemoryJournal();
      await runFlow(planOf([node("a", "transform")]), { journal });
      expect(journal.records.size).toBe(0);
    });

    it("resumes a failed run without repeating the effects that finished", async () => {
      const send = probeKind("send", { effect: "external" });
      let broken = true;
      const flaky = probeKind("flaky", {
        effect: "write",
        fail: () => (broken ? new Error("down") : undefined),
      });
      const plan = planOf(
        [node("notify", "send"), node("store", "flaky", { inputs: { n: ref("notify") } })],
        [send, flaky],
      );
      const journal = new MemoryJournal();
      const first = await runFlow(plan, { journal, logger: memoryLogger() });
      expect(first.status).toBe("failed");
      broken = false;
      const second = await runFlow(plan, { journal });
      expect(second.status).toBe("ok");
      expect(send.calls).toHaveLength(1);
      expect(flaky.calls).toHaveLength(2);
      expect([...journal.records.keys()].sort()).toEqual(["notify#1", "store#1"]);
    });

    it("journals map items and subflow steps under keys derived from their caller", async () => {
      const save = probeKind("save", { effect: "write" });
      const registry = registryWith(save);
      const child = createPlan(
        flow(
          [
            node("write", "save", { inputs: { v: "${{ trigger }}" } }),
            node("r", "respond", { inputs: { body: ref("write") } }),
          ],
          { id: "child" },
        ),
        { registry },
      );
      const parent = createPlan(
        flow([
          node("each", "map", {
            inputs: { items: [1, 2] },
            config: { node: { kind: "save", inputs: { v: "${{ item }}" } } },
          }),
          node("call", "subflow", { inputs: { input: 9 }, config: { flow: "child" } }),
        ]),
        { registry },
      );
      const journal = new MemoryJournal();
      const plans = new Map([["child", child]]);
      await runFlow(parent, { journal, plans });
      expect([...journal.records.keys()].sort()).toEqual([
        "call#1",
        "call#1/child#1/write#1",
        "each.node#1",
        "each.node#2",
      ]);
      await runFlow(parent, { journal, plans });
      expect(save.calls).toHaveLength(3);
    });

    it("keeps apart the steps of two subflows called by one node, so a resumed run replays the one that finished", async () => {
      const save = probeKind("save", { effect: "write" });
      let broken = true;
      const flaky = probeKind("flaky", {
        effect: "write",
        fail: () => (broken ? new Error("down") : undefined),
      });
      // Like github.webhook.dispatch: one node runs several flows, whose nodes may share ids.
      const fanOut = probeKind("fanOut", { effect: "external" });
      fanOut.run = async (ctx) => {
        const calls = await Promise.allSettled([ctx.runSubflow("a", 1), ctx.runSubflow("b", 2)]);
        const failed = calls.find((c) => c.status === "rejected");
        if (failed) throw failed.reason;
        return { out: calls.map((c) => (c as PromiseFulfilledResult<unknown>).value) };
      };
      const registry = registryWith(save, flaky, fanOut);
      const child = (id: string, kind: string) =>
        createPlan(flow([node("work", kind, { inputs: { v: "${{ trigger }}" } })], { id }), { registry });
      const plans: Record<string, ReturnType<typeof createPlan>> = {
        a: child("a", "save"),
        b: child("b", "flaky"),
      };
      const parent = createPlan(flow([node("route", "fanOut")]), { registry });
      const journal = new MemoryJournal();
      const options = { journal, plans: new Map(Object.entries(plans)), logger: memoryLogger() };
      expect((await runFlow(parent, options)).status).toBe("failed");
      expect([...journal.records.keys()]).toEqual(["route#1/a#1/work#1"]);
      broken = false;
      expect((await runFlow(parent, options)).status).toBe("ok");
      expect(save.calls).toHaveLength(1);
      expect(flaky.calls).toHaveLength(2);
      expect([...journal.records.keys()].sort()).toEqual([
        "route#1",
        "route#1/a#1/work#1",
        "route#1/b#1/work#1",
      ]);
    });

    it("fails the run with JOURNAL_FAILED when the journal cannot be read", async () => {
      const journal: RunJournal = {
        get: () => Promise.reject(new Error("storage offline")),
        put: () => {},
      };
      const charge = probeKind("charge", { effect: "write" });
      const result = await runFlow(planOf([node("pay", "charge")], [charge]), {
        journal,
        logger: memoryLogger(),
      });
      expect(result.error?.code).toBe("JOURNAL_FAILED");
      expect(result.error?.message).toBe("could not read step `pay#1` in the run journal");
      expect(result.error?.expose).toBe(false);
      expect(charge.calls).toHaveLength(0);
    });
  });
}
