import { describe, expect, it } from "vitest";
import type { FlowDocument } from "../../flows/ir/types.ts";
import { BUILTIN_KINDS, FlowError } from "../../kernel/index.ts";
import { createFlowSet } from "./flow-set.ts";

const flow = (id: string, kind: string, value = "${{ trigger.body }}"): FlowDocument => ({
  flows: 1,
  id,
  version: "1.0.0",
  triggers: [{ type: "http", method: "POST", path: `/${id}` }],
  nodes: [{ id: "step", kind, config: { value } }],
});

describe("createFlowSet", () => {
  it("fails at once for a node kind the registry lacks, naming the closest known kind", () => {
    let thrown: unknown;
    try {
      createFlowSet([flow("a", "transfrom")], BUILTIN_KINDS);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(FlowError);
    expect((thrown as FlowError).code).toBe("UNKNOWN_KIND");
    expect((thrown as FlowError).message).toMatch(/did you mean `transform`/);
  });

  it("compiles a flow's expressions when its plan is first read, failing that read and each after it", () => {
    const set = createFlowSet([flow("ok", "transform"), flow("bad", "transform", "${{ 1 + }}")]);
    expect(set.plans.get("ok")!.nodes).toHaveLength(1);
    for (let i = 0; i < 2; i++) expect(() => set.plans.get("bad")!.nodes).toThrow(FlowError);
  });

  it("refuses two flows on one route", () => {
    const other = { ...flow("b", "transform"), triggers: [{ type: "http", method: "POST", path: "/a" }] };
    expect(() => createFlowSet([flow("a", "transform"), other as FlowDocument])).toThrow(/served by both/);
  });
});
