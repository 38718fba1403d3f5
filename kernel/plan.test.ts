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

describe("outputIsResponse", () => {
  const answered = (output: Record<string, unknown>, extra: Record<string, unknown>[] = []) =>
    createPlan({
      flows: 1,
      id: "f",
      version: "1.0.0",
      triggers: [],
      nodes: [
        { id: "a", kind: "respond", inputs: { body: 1 } },
        { id: "b", kind: "respond", inputs: { status: 404, body: 2 } },
        { id: "t", kind: "transform", config: { value: 3 } },
        ...extra,
        { id: "answer", ...output },
      ] as never,
      output: "answer",
    }).outputIsResponse;

  it("is true for a respond node and for a first-mode merge of respond nodes' outputs, nested too", () => {
    expect(answered({ kind: "respond", inputs: { body: "${{ nodes.t.out }}" } })).toBe(true);
    const joined = { "1": "${{ nodes.a.out }}", "2": "${{nodes.b.out}}" };
    expect(answered({ kind: "merge", config: { mode: "first" }, inputs: joined })).toBe(true);
    const inner = { id: "inner", kind: "merge", config: { mode: "first" }, inputs: joined };
    const outer = { kind: "merge", config: { mode: "first" }, inputs: { x: "${{ nodes.inner.out }}" } };
    expect(answered(outer, [inner])).toBe(true);
  });

  it("is false where the output is not exactly one respond node's answer", () => {
    expect(answered({ kind: "transform", config: { value: "${{ nodes.a.out }}" } })).toBe(false);
    const both = { "1": "${{ nodes.a.out }}", "2": "${{ nodes.b.out }}" };
    // `mode: all` makes an object of the answers; a non-respond input, a wrapped or a partial reference is a value.
    expect(answered({ kind: "merge", inputs: both })).toBe(false);
    expect(
      answered({ kind: "merge", config: { mode: "first" }, inputs: { ...both, 3: "${{ nodes.t.out }}" } }),
    ).toBe(false);
    expect(
      answered({ kind: "merge", config: { mode: "first" }, inputs: { 1: { r: "${{ nodes.a.out }}" } } }),
    ).toBe(false);
    expect(
      answered({ kind: "merge", config: { mode: "first" }, inputs: { 1: "${{ nodes.a.out.body }}" } }),
    ).toBe(false);
  });
});
