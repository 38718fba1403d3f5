import { describe, expect, it } from "vitest";
import { compileBareExpression, compileExpression, compileValue, ExpressionError } from "./index.ts";

describe("compileExpression", () => {
  it("adds JSON numbers and CEL integer literals as JSON users expect", () => {
    expect(compileExpression("trigger.body.count + 1").evaluate({ trigger: { body: { count: 2 } } })).toBe(3);
    expect(compileExpression("trigger.body.price * 2").evaluate({ trigger: { body: { price: 2.5 } } })).toBe(
      5,
    );
  });

  it("returns integers as plain numbers, not BigInt", () => {
    expect(compileExpression("size(trigger.items)").evaluate({ trigger: { items: [1, 2, 3] } })).toBe(3);
  });

  it("finds references to other nodes' ports", () => {
    const e = compileExpression(
      'nodes.fetch.out.items.map(x, x.id) + [nodes.other.status, nodes["third"].body]',
    );
    expect(e.references.map((r) => [r.node, r.port])).toEqual([
      ["fetch", "out"],
      ["other", "status"],
      ["third", "body"],
    ]);
  });

  it("rejects unknown root variables at compile time", () => {
    expect(() => compileExpression("payload.x")).toThrowError(ExpressionError);
    try {
      compileExpression("payload.x");
    } catch (e) {
      expect((e as ExpressionError).code).toBe("EXPR_TYPE");
      expect((e as ExpressionError).message).toContain("payload");
    }
  });

  it("reports syntax errors with the offset of the problem", () => {
    try {
      compileExpression("trigger.a +");
      expect.unreachable();
    } catch (e) {
      expect((e as ExpressionError).code).toBe("EXPR_SYNTAX");
      expect((e as ExpressionError).offset).toBe(11);
    }
  });

  it("fails evaluation of a missing key with EXPR_EVAL", () => {
    expect(() => compileExpression("trigger.missing").evaluate({ trigger: {} })).toThrowError(/No such key/);
  });
});

describe("compileValue", () => {
  const scope = { trigger: { body: { name: "Ada", n: 2 } } };

  it("keeps the type of a whole-string expression", () => {
    expect(compileValue("${{ trigger.body.n }}").value.evaluate(scope)).toBe(2);
  });

  it("interpolates expressions inside text", () => {
    expect(compileValue("hi ${{ trigger.body.name }} x${{ trigger.body.n }}").value.evaluate(scope)).toBe(
      "hi Ada x2",
    );
  });

  it("compiles nested objects and arrays and keeps literals constant", () => {
    const { value } = compileValue({ a: ["${{ trigger.body.name }}", 1], b: { c: true } });
    expect(value.constant).toBe(false);
    expect(value.evaluate(scope)).toEqual({ a: ["Ada", 1], b: { c: true } });
    expect(compileValue({ a: [1, "x"] }).value.constant).toBe(true);
  });

  it("treats $${{ as a literal", () => {
    expect(compileValue("cost: $${{ not an expr }}").value.evaluate(scope)).toBe("cost: ${{ not an expr }}");
  });

  it("locates every bad expression by path and offset", () => {
    const { issues } = compileValue({ a: "ok ${{ trigger.x + }}", b: ["${{ }}"] });
    expect(issues.map((i) => [i.path, i.offset, i.error.code])).toEqual([
      [["a"], 18, "EXPR_SYNTAX"],
      [["b", 0], 4, "EXPR_SYNTAX"],
    ]);
  });
});

describe("compileBareExpression", () => {
  it("accepts a bare expression or one wrapped in ${{ }}", () => {
    expect(compileBareExpression("trigger.n > 1").expr?.evaluate({ trigger: { n: 2 } })).toBe(true);
    expect(compileBareExpression("${{ trigger.n > 1 }}").expr?.evaluate({ trigger: { n: 0 } })).toBe(false);
  });
  it("reports the offset inside the field", () => {
    expect(compileBareExpression("${{ trigger.n > }}").issue?.offset).toBe(15);
  });
});

describe("range()", () => {
  it("builds [0 … n-1] from an int or a JSON number", () => {
    expect(compileExpression("range(3)").evaluate({})).toEqual([0, 1, 2]);
    expect(compileExpression("range(trigger.n)").evaluate({ trigger: { n: 2 } })).toEqual([0, 1]);
  });

  it("refuses a negative, fractional or too large count", () => {
    for (const n of [-1, 1.5, 10_001]) {
      expect(() => compileExpression("range(trigger.n)").evaluate({ trigger: { n } })).toThrowError(
        /range\(n\)/,
      );
    }
  });
});
