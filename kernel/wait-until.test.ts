import { describe, expect, it } from "vitest";
import { runFlow } from "./executor.ts";
import type { NodeKind } from "./kinds/types.ts";
import { createPlan } from "./plan.ts";
import { flow, node, planOf, registryWith } from "./testing/helpers.ts";

/** Hands a promise to `ctx.waitUntil` when the host gave one, else awaits it; `out` says which. */
const later: NodeKind = {
  spec: {
    kind: "test.later",
    description: "Work that may end after the answer.",
    effect: "write",
    determinism: "best_effort",
    inputs: {},
    outputs: { out: {} },
    configSchema: { type: "object" },
  },
  run: async (ctx) => {
    const work = Promise.resolve("done");
    if (ctx.waitUntil) {
      ctx.waitUntil(work);
      return { out: "handed over" };
    }
    return { out: await work };
  },
};

describe("RunOptions.waitUntil", () => {
  it("reaches a node as ctx.waitUntil, in the run and in its subflows; without it, ctx.waitUntil is undefined", async () => {
    const inner = createPlan(flow([node("a", "test.later")], { id: "inner", output: "a" }), {
      registry: registryWith(later),
    });
    const outer = planOf([node("call", "subflow", { config: { flow: "inner" } })], [later], {
      output: "call",
    });
    const handed: Promise<unknown>[] = [];
    const plans = new Map([["inner", inner]]);
    const withHost = await runFlow(outer, { plans, waitUntil: (p) => void handed.push(p) });
    expect(withHost.output).toBe("handed over");
    expect(await Promise.all(handed)).toEqual(["done"]);
    expect((await runFlow(outer, { plans })).output).toBe("done");
  });
});
