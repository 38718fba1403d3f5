import { describe, expect, it } from "vitest";
import { EVALUATION_LIMITS } from "./budget.ts";
import { compileExpression, compileValue, ExpressionError } from "./index.ts";

const list = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

function limitError(source: string, scope: Record<string, unknown>): ExpressionError {
  try {
    compileExpression(source).evaluate(scope);
  } catch (error) {
    expect(error).toBeInstanceOf(ExpressionError);
    return error as ExpressionError;
  }
  throw new Error(`${source} did not fail`);
}

describe("run-time bounds of expression evaluation", () => {
  it("stops a nested comprehension over a large payload list with EXPR_LIMIT", () => {
    const scope = { trigger: { items: list(10_000) } };
    for (const source of [
      "trigger.items.map(x, trigger.items.map(y, x + y))",
      "trigger.items.filter(x, trigger.items.filter(y, y == x).size() > 0)",
      "range(10000).map(x, range(10000).map(y, x))",
    ]) {
      const error = limitError(source, scope);
      expect(error.code).toBe("EXPR_LIMIT");
      expect(error.message).toContain(`${EVALUATION_LIMITS.maxSteps} steps`);
    }
  });

  it("does not let all() or exists() swallow the limit and return a value", () => {
    const scope = { trigger: { items: list(10_000) } };
    expect(limitError("trigger.items.all(x, trigger.items.all(y, y >= 0))", scope).code).toBe("EXPR_LIMIT");
    expect(limitError("trigger.items.exists(x, trigger.items.exists(y, y < 0))", scope).code).toBe(
      "EXPR_LIMIT",
    );
    expect(limitError("trigger.items.exists_one(x, trigger.items.exists(y, y < 0))", scope).code).toBe(
      "EXPR_LIMIT",
    );
  });

  it("charges for the size of strings scanned inside a loop", () => {
    // 10,000 iterations alone are within budget; each scanning a 1 MiB string is not.
    const scope = { trigger: { items: list(10_000), s: "a".repeat(1 << 20) } };
    expect(compileExpression("trigger.items.filter(x, x < 0).size()").evaluate(scope)).toBe(0);
    expect(limitError("trigger.items.filter(x, trigger.s.contains(string(x)))", scope).code).toBe(
      "EXPR_LIMIT",
    );
  });

  it("bounds the result: elements, depth and characters", () => {
    expect(
      limitError("range(10000).map(i, trigger.items)", { trigger: { items: list(10_000) } }).message,
    ).toMatch(/more than 1000000 elements/);
    let deep: unknown = 1;
    for (let i = 0; i < 1_000; i++) deep = [deep];
    expect(limitError("[trigger.deep]", { trigger: { deep } }).message).toMatch(/nested deeper than 256/);
    const big = "x".repeat(8 * 1024 * 1024);
    expect(
      limitError("[trigger.s, trigger.s, trigger.s, trigger.s, trigger.s]", { trigger: { s: big } }).message,
    ).toMatch(/characters/);
  });

  it("turns a stack overflow on a deep payload into EXPR_LIMIT", () => {
    let deep: unknown = 1;
    for (let i = 0; i < 200_000; i++) deep = [deep];
    expect(limitError("trigger.deep == trigger.deep", { trigger: { deep } }).code).toBe("EXPR_LIMIT");
  });

  it("resets the budget per evaluation and leaves ordinary work alone", () => {
    const e = compileExpression("trigger.items.map(x, trigger.items.map(y, x * y)).size()");
    const scope = { trigger: { items: list(300) } };
    // 90,300 steps each time: repeated evaluations do not accumulate towards the limit.
    for (let i = 0; i < 5; i++) expect(e.evaluate(scope)).toBe(300);
    expect(compileValue("hi ${{ trigger.items.map(x, x * 2)[1] }}").value.evaluate(scope)).toBe("hi 2");
  });

  it("keeps a `__proto__` key of a payload as data, without swapping the prototype", () => {
    const payload = JSON.parse('{"__proto__": {"polluted": true}, "a": 1}');
    const out = compileExpression("[trigger.body]").evaluate({ trigger: { body: payload } }) as Record<
      string,
      unknown
    >[];
    expect(Object.getPrototypeOf(out[0])).toBe(Object.prototype);
    expect(Object.keys(out[0]!)).toEqual(["__proto__", "a"]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
