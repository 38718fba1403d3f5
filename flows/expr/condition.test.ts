import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fastCondition } from "./condition.ts";
import { compileCelExpression, compileExpression, parseExpressionAst } from "./expression.ts";
import { NOT_PLAIN } from "./reference.ts";
import { outcome } from "./testing.ts";

const KEYS = ["a", "b", "out"] as const;
const STRINGS = ["", "a", "sync"] as const;
// Mostly what the fast path compares (strings, bools), some of what it leaves to CEL (numbers, null).
const leaf = fc.oneof(
  { arbitrary: fc.constantFrom(...STRINGS), weight: 3 },
  { arbitrary: fc.boolean(), weight: 3 },
  { arbitrary: fc.constant(null), weight: 1 },
  { arbitrary: fc.integer({ min: 0, max: 2 }), weight: 1 },
  { arbitrary: fc.constantFrom(1.5, 0), weight: 1 },
);
const { tree } = fc.letrec((tie) => ({
  tree: fc.oneof(
    { depthSize: "small" },
    leaf,
    fc.array(tie("tree"), { maxLength: 2 }),
    fc.dictionary(fc.constantFrom(...KEYS), tie("tree"), { maxKeys: 3 }),
  ),
}));
// Most references find a value (a field of a root that usually has it); some find a deeper tree, or nothing.
const fields = fc.record({ a: leaf, b: leaf, out: tree }, { requiredKeys: ["a", "b"] });
const ROOTS = ["trigger", "vars", "nodes"] as const;
const scope = fc.record(Object.fromEntries(ROOTS.map((root) => [root, fc.oneof(fields, fields, tree)])), {
  requiredKeys: ["trigger", "vars"],
});

const reference = fc
  .tuple(
    fc.constantFrom(...ROOTS),
    fc.constantFrom(...KEYS),
    fc.oneof({ arbitrary: fc.constant([]), weight: 4 }, fc.tuple(fc.constantFrom(...KEYS))),
  )
  .map(([root, first, rest]) => [root, first, ...rest].join("."));
const literal = fc.oneof(
  {
    arbitrary: fc.constantFrom(...STRINGS.map((s) => JSON.stringify(s)), "true", "false", "null"),
    weight: 9,
  },
  { arbitrary: fc.constantFrom("1", "1.5"), weight: 1 },
);
const operand = fc.oneof(reference, literal);
const { condition } = fc.letrec((tie) => ({
  condition: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.tuple(operand, fc.constantFrom("==", "!="), operand).map(([a, op, b]) => `${a} ${op} ${b}`),
    reference,
    tie("condition").map((c) => `!(${c})`),
    fc
      .tuple(tie("condition"), fc.constantFrom("&&", "||"), tie("condition"))
      .map(([a, op, b]) => `(${a}) ${op} (${b})`),
  ),
}));

describe("the condition fast path", () => {
  it("takes only conditions of references and string, bool or null literals", () => {
    const fast = (source: string) => fastCondition(parseExpressionAst(source));
    for (const source of [
      'vars.ACK == "sync" && nodes.match.pure',
      'vars.ACK == "queue" || !nodes.match.pure',
      'nodes.parse.out.event != "ping"',
      "!trigger.body.done",
      "trigger.a == null",
    ])
      expect(fast(source), source).toBeDefined();
    for (const source of [
      "trigger.body",
      "trigger.n == 1",
      "trigger.n == 1.5",
      'trigger["a"] == "x"',
      "size(trigger.a) == 0",
      'trigger.a == "x" ? true : false',
      "trigger.a < trigger.b",
      '"x" in trigger.list',
    ])
      expect(fast(source), source).toBeUndefined();
  });

  it("answers the built-in webhook flow's conditions without CEL, and leaves the rest to it", () => {
    const scope = { vars: { ACK: "sync" }, nodes: { match: { pure: true }, claim: { fresh: "k" } } };
    const ack = fastCondition(parseExpressionAst('vars.ACK == "sync" && nodes.match.pure'))!;
    expect(ack(scope)).toBe(true);
    expect(ack({ ...scope, vars: { ACK: "queue" } })).toBe(false);
    // `false && x` is false whatever x is: even a missing node.
    expect(ack({ vars: { ACK: "queue" } })).toBe(false);
    // Not a bool, a number, a missing key: CEL decides.
    expect(ack({ ...scope, nodes: { match: { pure: "yes" } } })).toBe(NOT_PLAIN);
    expect(ack({ vars: { ACK: 1 }, nodes: scope.nodes })).toBe(NOT_PLAIN);
    expect(ack({ vars: {}, nodes: scope.nodes })).toBe(NOT_PLAIN);
  });

  it("gives exactly CEL's value or error for random conditions over random JSON scopes", () => {
    let answered = 0;
    fc.assert(
      fc.property(condition, scope, (source, values) => {
        const fast = outcome(() => compileExpression(source).evaluate(values));
        const cel = outcome(() => compileCelExpression(source, false).evaluate(values));
        expect(fast, source).toEqual(cel);
        const path = outcome(() => fastCondition(parseExpressionAst(source))?.(values)) as {
          value?: unknown;
        };
        if (typeof path.value === "boolean") answered++;
      }),
      { numRuns: 5_000 },
    );
    // The property says something only if the fast path answered a good share of the cases itself (about 9%:
    // the others are conditions CEL refuses to compile, shapes the fast path does not take, or values it leaves
    // to CEL, and those hold the fallback to CEL's answer).
    expect(answered).toBeGreaterThan(300);
  });
});
