import { describe, expect, it } from "vitest";
import type { FlowDocument } from "../../flows/ir/types.ts";
import { createWorker } from "./worker.ts";

const child: FlowDocument = {
  flows: 1,
  id: "child",
  version: "1.0.0",
  triggers: [],
  nodes: [{ id: "add", kind: "transform", config: { value: "${{ trigger.x + 1 }}" } }],
  output: "add",
};
const parent: FlowDocument = {
  flows: 1,
  id: "parent",
  version: "1.0.0",
  triggers: [{ type: "http", method: "POST", path: "/p" }],
  nodes: [
    { id: "call", kind: "subflow", inputs: { input: "${{ trigger.body }}" }, config: { flow: "child" } },
  ],
  output: "call",
};

describe("one trigger shape for a flow without triggers", () => {
  const worker = createWorker([parent, child]);

  it("gives the child the parent's input as trigger when it is called as a subflow", async () => {
    const result = await worker.invoke("parent", { x: 1 });
    expect(result).toMatchObject({ status: "ok", output: 2 });
  });

  it("gives the child the same value as trigger when it is invoked directly", async () => {
    const result = await worker.invoke("child", { x: 41 });
    expect(result).toMatchObject({ status: "ok", output: 42 });
  });

  it("keeps the invoke envelope for a flow with triggers", async () => {
    const echo: FlowDocument = {
      ...parent,
      id: "echo",
      nodes: [{ id: "t", kind: "transform", config: { value: "${{ trigger }}" } }],
      output: "t",
    };
    const result = await createWorker([echo]).invoke("echo", { a: 1 }, { "x-y": "z" });
    expect(result.output).toEqual({ type: "invoke", body: { a: 1 }, headers: { "x-y": "z" } });
  });
});
