import { describe, expect, it } from "vitest";
import { deferPlan } from "./deferred-plan.ts";
import { FlowError } from "./errors.ts";
import { runFlow } from "./executor.ts";
import { BUILTIN_KINDS } from "./kinds/builtins.ts";
import { createRegistry } from "./kinds/registry.ts";
import type { NodeKind } from "./kinds/types.ts";
import { createPlan } from "./plan.ts";
import { flow, node, ref } from "./testing/helpers.ts";

/** A pure kind whose `prepare` (called when a plan is compiled) counts its calls. */
function counted(): { kind: NodeKind; compiled: () => number } {
  let calls = 0;
  const kind: NodeKind = {
    spec: {
      kind: "test.counted",
      description: "counts compilations",
      effect: "pure",
      determinism: "strict",
      inputs: { in: {} },
      outputs: { out: {} },
      configSchema: { type: "object" },
    },
    prepare: () => {
      calls++;
      return undefined;
    },
    run: (ctx) => ({ out: ctx.inputs.in }),
  };
  return { kind, compiled: () => calls };
}

const doc = flow(
  [
    node("a", "test.counted", { inputs: { in: "${{ trigger.body.n * 2 }}" } }),
    node("b", "transform", { inputs: { value: ref("a") }, when: "nodes.a.out > 1" }),
  ],
  { output: "b" },
);

describe("deferPlan", () => {
  it("compiles nothing when made, then once, when first read", async () => {
    const { kind, compiled } = counted();
    const registry = createRegistry(BUILTIN_KINDS, kind);
    const plan = deferPlan(doc, { registry });
    expect(plan.flowId).toBe("test-flow");
    expect(plan.version).toBe("1.0.0");
    expect(compiled()).toBe(0);
    expect(plan.nodes.map((n) => n.id)).toEqual(["a", "b"]);
    expect(compiled()).toBe(1);
    await runFlow(plan, { trigger: { body: { n: 2 } } });
    await runFlow(plan, { trigger: { body: { n: 3 } } });
    expect(compiled()).toBe(1);
  });

  it("reads as the plan createPlan makes, and runs to the same result", async () => {
    const registry = createRegistry(BUILTIN_KINDS, counted().kind);
    const deferred = deferPlan(doc, { registry });
    const eager = createPlan(doc, { registry });
    const fields = (p: typeof eager) => ({
      nodes: p.nodes.map((n) => [n.id, n.kindName, n.waitCount, n.releaseAtOutput, n.isOutput]),
      indexById: [...p.indexById],
      roots: p.roots,
      waitCounts: p.waitCounts,
      zeros: p.zeros,
      timeZeros: p.timeZeros,
      outputCandidates: p.outputCandidates,
      outputIsResponse: p.outputIsResponse,
      deadlineMs: p.deadlineMs,
      vars: p.vars,
      effect: p.effect,
      determinism: p.determinism,
      registry: p.registry,
    });
    expect(fields(deferred)).toEqual(fields(eager));
    const trigger = { body: { n: 4 } };
    const [a, b] = await Promise.all([runFlow(deferred, { trigger }), runFlow(eager, { trigger })]);
    expect(a.status).toBe("ok");
    expect(a.output).toEqual(b.output);
  });

  it("throws the document's FlowError when first read, not when made, and on every read after", () => {
    const bad = flow([node("a", "transfrom")]);
    const plan = deferPlan(bad);
    const read = () => plan.nodes;
    expect(read).toThrowError(FlowError);
    let first: unknown;
    try {
      read();
    } catch (error) {
      first = error;
    }
    expect((first as FlowError).code).toBe("UNKNOWN_KIND");
    expect(() => plan.roots).toThrow(first as Error);
  });
});
