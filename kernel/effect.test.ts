import { describe, expect, it } from "vitest";
import { ALL_CAPABILITY_KINDS } from "../capabilities/index.ts";
import { readFlowFiles } from "../cli/files.ts";
import { validateFlows } from "../flows/validate/index.ts";
import { flowEffect } from "./effect.ts";
import { BUILTIN_KINDS } from "./kinds/builtins.ts";
import { catalogOf, createRegistry } from "./kinds/registry.ts";
import type { NodeKind } from "./kinds/types.ts";
import { createPlan } from "./plan.ts";
import { flow, node, registryWith } from "./testing/helpers.ts";

const write: NodeKind = {
  spec: {
    kind: "test.write",
    description: "A write.",
    effect: "write",
    determinism: "best_effort",
    inputs: {},
    outputs: { out: {} },
    configSchema: { type: "object" },
  },
  run: () => ({ out: 1 }),
};

describe("flowEffect", () => {
  it("is the effect the plan computes, for every example and built-in flow, without planning", async () => {
    const registry = createRegistry(BUILTIN_KINDS, ALL_CAPABILITY_KINDS);
    const sources = await readFlowFiles(["examples", "flows/builtin", "flows/validate/fixtures/valid"]);
    const flows = validateFlows(sources, catalogOf(registry)).flows.filter((f) => f.ok);
    expect(flows.length).toBeGreaterThan(10);
    const effects = new Set<string>();
    for (const { document } of flows) {
      const effect = flowEffect(document, registry);
      effects.add(effect!);
      expect(effect, document.id).toBe(createPlan(document, { registry }).effect);
    }
    expect([...effects].sort()).toEqual(["external", "pure", "read", "write"]);
  });

  it("counts a map's template, and is undefined for an unknown kind", () => {
    const registry = registryWith(write);
    const mapped = flow([
      node("each", "map", { inputs: { items: [1] }, config: { node: { kind: "test.write" } } }),
    ]);
    expect(flowEffect(mapped, registry)).toBe("write");
    expect(flowEffect(flow([node("a", "transform")]), registry)).toBe("pure");
    expect(flowEffect(flow([node("a", "nope")]), registry)).toBeUndefined();
  });
});
