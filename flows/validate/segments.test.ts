import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compileBareExpression, compileValue } from "../expr/index.ts";
import { findRestrictedRoots } from "./roots.ts";
import { compileBare, compileSegments, hasExpression } from "./segments.ts";

const PIECES = [
  "${{",
  "$${{",
  "}}",
  " ",
  "nodes.a.out",
  "trigger.x",
  "+",
  "1",
  ")",
  "(",
  '"}}"',
  "input",
  "item",
  "x",
];
const template = fc.array(fc.constantFrom(...PIECES), { maxLength: 12 }).map((p) => p.join(""));
const anyText = fc.oneof(template, fc.string({ maxLength: 30 }));

describe("compileSegments follows compileValue exactly", () => {
  it("finds the same issues at the same offsets, and the same references", () => {
    fc.assert(
      fc.property(anyText, (text) => {
        const ours = compileSegments(text);
        const theirs = compileValue(text);
        expect(ours.issues.map((i) => [i.offset, i.error.code])).toEqual(
          theirs.issues.map((i) => [i.offset, i.error.code]),
        );
        expect(ours.segments.flatMap((s) => s.expr.references.map((r) => [r.node, r.port]))).toEqual(
          theirs.value.references.map((r) => [r.node, r.port]),
        );
      }),
      { numRuns: 2_000 },
    );
  });

  it("places each reference at its offset inside the string", () => {
    const text = 'a ${{ nodes.x.out }} b ${{  1 + nodes["y"].body }}';
    const { segments } = compileSegments(text);
    const offsets = segments.flatMap((s) => s.expr.references.map((r) => s.start + r.offset));
    expect(offsets.map((o) => text.slice(o, o + 5))).toEqual(["nodes", "nodes"]);
  });

  it("knows $${{ is not an expression", () => {
    expect(hasExpression("cost $${{ x }}")).toBe(false);
    expect(hasExpression("$${{ a }} ${{ b }}")).toBe(true);
  });
});

describe("compileBare follows compileBareExpression exactly", () => {
  it("reports the same offset", () => {
    fc.assert(
      fc.property(anyText, (text) => {
        expect(compileBare(text).issues.map((i) => i.offset)).toEqual(
          [compileBareExpression(text).issue?.offset].filter((o) => o !== undefined),
        );
      }),
      { numRuns: 1_000 },
    );
  });
});

describe("findRestrictedRoots", () => {
  it("finds input, item and index used as variables, with offsets", () => {
    expect(findRestrictedRoots("input.a + item - index")).toEqual([
      { name: "input", offset: 0 },
      { name: "item", offset: 10 },
      { name: "index", offset: 17 },
    ]);
  });

  it("ignores members, strings, comments and comprehension variables", () => {
    expect(findRestrictedRoots('trigger.input + nodes.a.out["item"] + "index"')).toEqual([]);
    expect(findRestrictedRoots("r'input' + b\"item\" + '''index'''")).toEqual([]);
    expect(findRestrictedRoots("trigger.list.map(item, item * 2)")).toEqual([]);
    expect(findRestrictedRoots("trigger.list.exists(index, index > 1)")).toEqual([]);
    expect(findRestrictedRoots("1 // input\n + 2")).toEqual([]);
  });

  it("still finds a root that a macro does not bind", () => {
    expect(findRestrictedRoots("trigger.list.map(x, x + index)")).toEqual([{ name: "index", offset: 24 }]);
  });
});
