import { describe, expect, it } from "vitest";
import { BUILTIN_KINDS } from "./kinds/builtins.ts";
import { createRegistry } from "./kinds/registry.ts";
import { createPlan } from "./plan.ts";
import { planSuite } from "./testing/suites/plan.ts";

planSuite();

describe("binding resolution", () => {
  it("fills config.binding of a kind that needs a binding when the flow declares exactly one of that type", () => {
    const needsKv = {
      spec: {
        kind: "test.kv",
        description: "needs kv",
        effect: "read" as const,
        determinism: "stable" as const,
        inputs: {},
        outputs: { out: {} },
        configSchema: { type: "object" },
        needs: ["kv" as const],
      },
      run: () => ({ out: null }),
    };
    const doc = {
      flows: 1 as const,
      id: "f",
      version: "1.0.0",
      bindings: { CACHE: { type: "kv" as const }, OTHER: { type: "r2" as const, bucket: "b" } },
      triggers: [],
      nodes: [
        { id: "a", kind: "test.kv" },
        { id: "b", kind: "test.kv", config: { binding: "EXPLICIT" } },
      ],
    };
    const plan = createPlan(doc, { registry: createRegistry(BUILTIN_KINDS, needsKv) });
    expect(plan.nodes.map((n) => n.staticConfig.binding)).toEqual(["CACHE", "EXPLICIT"]);
  });
});
