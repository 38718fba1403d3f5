import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { EXPRESSION_ROOTS } from "./environment.ts";
import { compileCelExpression, compileExpression } from "./expression.ts";
import { NOT_PLAIN, plainReferencePath, readPlainReference } from "./reference.ts";
import { outcome } from "./testing.ts";

const KEYS = ["a", "b", "body", "out", "x_1"] as const;
const key = fc.constantFrom(...KEYS);
const leaf = fc.oneof(
  fc.string({ maxLength: 4 }),
  fc.integer(),
  fc.double({ noNaN: true }),
  fc.boolean(),
  fc.constant(null),
);
const { tree } = fc.letrec((tie) => ({
  tree: fc.oneof(
    { depthSize: "small" },
    leaf,
    fc.array(tie("tree"), { maxLength: 3 }),
    fc.dictionary(key, tie("tree"), { maxKeys: 4 }),
  ),
}));
// `input` is always a node's inputs record (CEL declares it a map); the other roots hold any JSON value.
const rootValue = (root: string) => (root === "input" ? fc.dictionary(key, tree, { maxKeys: 4 }) : tree);
const scope = fc.record(Object.fromEntries(EXPRESSION_ROOTS.map((root) => [root, rootValue(root)])), {
  requiredKeys: [],
});
const path = fc.tuple(fc.constantFrom(...EXPRESSION_ROOTS), fc.array(key, { maxLength: 4 }));

describe("plain references", () => {
  it("recognises only identifiers joined by dots", () => {
    expect(plainReferencePath("trigger.body")).toEqual(["trigger", "body"]);
    expect(plainReferencePath("nodes.fetch_1.out")).toEqual(["nodes", "fetch_1", "out"]);
    for (const other of [
      "trigger.body[0]",
      "(trigger.body)",
      "trigger.body + 1",
      "trigger..body",
      "a.1b",
      "",
    ])
      expect(plainReferencePath(other), other).toBeUndefined();
  });

  it("leaves to CEL what it cannot be sure of: missing keys, null on the way, Maps, typed arrays", () => {
    expect(readPlainReference({ trigger: {} }, ["trigger", "body"])).toBe(NOT_PLAIN);
    expect(readPlainReference({ trigger: { body: null } }, ["trigger", "body", "a"])).toBe(NOT_PLAIN);
    expect(readPlainReference({ trigger: new Map([["body", 1]]) }, ["trigger", "body"])).toBe(NOT_PLAIN);
    expect(readPlainReference({ trigger: { body: new Uint8Array(2) } }, ["trigger", "body"])).toBe(NOT_PLAIN);
    expect(readPlainReference({ trigger: { body: { a: [1] } } }, ["trigger", "body"])).toEqual({ a: [1] });
  });

  it("gives exactly CEL's value or error for every reference into random JSON scopes", () => {
    fc.assert(
      fc.property(scope, path, (values, [root, keys]) => {
        const source = [root, ...keys].join(".");
        const fast = compileExpression(source);
        // The same reference in parentheses is no plain reference: CEL evaluates it.
        const cel = compileExpression(`(${source})`);
        expect(outcome(() => fast.evaluate(values))).toEqual(outcome(() => cel.evaluate(values)));
      }),
      { numRuns: 2_000 },
    );
  });

  it("compiles a plain reference to CEL's references and vars, or fails as CEL does", () => {
    const word = fc.constantFrom(...KEYS, "in", "true", "null", "as", "has", "__proto__", "int");
    const source = fc
      .tuple(
        fc.constantFrom(...EXPRESSION_ROOTS, "payload", "in"),
        // Long chains of ordinary keys: CEL refuses them past its maxDepth.
        fc.oneof(fc.array(word, { maxLength: 4 }), fc.array(key, { minLength: 28, maxLength: 70 })),
      )
      .map(([root, keys]) => [root, ...keys].join("."));
    const compiled = (compile: () => ReturnType<typeof compileExpression>) => {
      try {
        const e = compile();
        return { references: e.references, vars: e.vars };
      } catch (error) {
        const e = error as { code?: string; message: string; offset?: number };
        return { error: e.code, message: e.message, offset: e.offset };
      }
    };
    fc.assert(
      fc.property(source, scope, (text, values) => {
        expect(compiled(() => compileExpression(text))).toEqual(compiled(() => compileCelExpression(text)));
        const fast = outcome(() => compileExpression(text).evaluate(values));
        expect(fast).toEqual(outcome(() => compileCelExpression(text).evaluate(values)));
      }),
      { numRuns: 2_000 },
    );
  });

  it("finds a plain reference's node, port and var without CEL", () => {
    expect(compileExpression("nodes.verify.out.body").references).toEqual([
      { node: "verify", port: "out", offset: 0 },
    ]);
    expect(compileExpression("nodes.verify").references).toEqual([
      { node: "verify", port: undefined, offset: 0 },
    ]);
    expect(compileExpression("vars.ROUTES").vars).toEqual([{ name: "ROUTES", offset: 0 }]);
    expect(compileExpression("nodes").references).toEqual([]);
  });
});
