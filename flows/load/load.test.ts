import { describe, expect, it } from "vitest";
import { loadFlowSource, MAX_ALIAS_COUNT } from "./index.ts";

/** The text at a located position, for readable assertions. */
function at(text: string, pos: { line: number; column: number }, length = 8): string {
  return text.split("\n")[pos.line - 1]!.slice(pos.column - 1, pos.column - 1 + length);
}

describe("loadFlowSource (YAML)", () => {
  const text = `flows: 1
id: demo
nodes:
  - id: a
    kind: transform
    inputs:
      plain: hello \${{ trigger.p }}
      double: "tab\\there \\u00e9 \${{ trigger.d }}"
      single: 'it''s \${{ trigger.s }}'
      folded: >
        first line
        then \${{ trigger.f }}
      literal: |
        keep
          \${{ trigger.l }}
      multi: starts here
        continues \${{ trigger.m }}
      empty:
`;
  const source = loadFlowSource(text, "demo.yaml");
  const inString = (field: string) => {
    const value = (source.document as { nodes: { inputs: Record<string, string> }[] }).nodes[0]!.inputs[
      field
    ]!;
    return source.locate(`/nodes/0/inputs/${field}`, { index: value.indexOf("trigger") });
  };

  it("parses into a plain document without diagnostics", () => {
    expect(source.diagnostics).toEqual([]);
    expect(source.document).toMatchObject({ flows: 1, id: "demo", nodes: [{ id: "a", kind: "transform" }] });
  });

  it("locates values and keys by JSON pointer (1-based)", () => {
    expect(source.locate("/id")).toEqual({ line: 2, column: 5 });
    expect(source.locate("/nodes/0/kind")).toEqual({ line: 5, column: 11 });
    expect(source.locate("/nodes/0/kind", { key: true })).toEqual({ line: 5, column: 5 });
    expect(source.locate("")).toEqual({ line: 1, column: 1 });
  });

  it("falls back to the nearest existing ancestor", () => {
    expect(source.locate("/nodes/0/config/x")).toEqual({ line: 4, column: 5 });
    expect(source.locate("/nodes/7")).toEqual({ line: 4, column: 3 });
    expect(source.locate("/nodes/0/inputs/empty")).toEqual({ line: 18, column: 7 });
  });

  it.each(["plain", "double", "single", "folded", "literal", "multi"])(
    "locates a character inside a %s scalar exactly",
    (field) => {
      expect(at(text, inString(field), 9)).toBe(`trigger.${field[0]}`);
    },
  );

  it("reports YAML syntax errors with their position", () => {
    const bad = loadFlowSource("flows: 1\nid: [a, b\nx: 1\n", "bad.yaml");
    expect(bad.document).toBeUndefined();
    expect(bad.diagnostics.map((d) => [d.code, d.line, d.column])).toContainEqual(["FLOW_SYNTAX", 3, 1]);
  });

  it("says to quote an expression that YAML reads as its own syntax, once per line", () => {
    const text = 'flows: 1\nnodes:\n  - id: r\n    inputs:\n      body: ${{ { "a": 1, "b": 2 } }}\n';
    const bad = loadFlowSource(text, "unquoted.yaml");
    expect(bad.diagnostics.map((d) => [d.code, d.line, d.column])).toEqual([["FLOW_SYNTAX", 5, 13]]);
    expect(bad.diagnostics[0]?.hint).toBe(
      "quote an expression that holds `{`, `}` or `: `, e.g. `body: '${{ { \"a\": 1 } }}'`: unquoted, YAML reads them as its own syntax",
    );
    const quoted = loadFlowSource(
      text.replace('body: ${{ { "a": 1, "b": 2 } }}', 'body: \'${{ { "a": 1, "b": 2 } }}\''),
      "quoted.yaml",
    );
    expect(quoted.diagnostics).toEqual([]);
  });

  it("leaves out the errors YAML reports after an unquoted expression, which follow from it, and says how many", () => {
    const text = [
      "flows: 1",
      "nodes:",
      "  - id: pick",
      "    kind: switch",
      "    inputs:",
      '      value: ${{ trigger.body.score >= 50 ? "pass" : "fail" }}',
      "    config:",
      "      cases: [pass, fail]",
      "  - id: ok",
      "    kind: respond",
      "    inputs: { body: ${{ nodes.pick.pass }} }",
      "",
    ].join("\n");
    const bad = loadFlowSource(text, "cascade.yaml");
    const lines = bad.diagnostics.map((d) => [d.code, d.line]);
    expect(lines[0]).toEqual(["FLOW_SYNTAX", 6]);
    expect(lines.filter(([, line]) => line === 7 || line === 8)).toEqual([]);
    expect(bad.diagnostics[0]?.hint).toMatch(
      /; the \d+ YAML errors? after it follows? from it and (is|are) not shown$/,
    );
    expect(bad.diagnostics.slice(1).every((d) => !d.hint?.includes("not shown"))).toBe(true);
    // An error before any unquoted expression is still reported.
    const early = loadFlowSource(
      `flows: 1\nid: [a, b\n${text.split("\n").slice(1).join("\n")}`,
      "early.yaml",
    );
    expect(early.diagnostics[0]).toMatchObject({ code: "FLOW_SYNTAX" });
    expect(early.diagnostics[0]?.line).toBeLessThan(6);
  });

  it("reports duplicate keys", () => {
    const dup = loadFlowSource("flows: 1\nid: a\nid: b\n", "dup.yaml");
    expect(dup.diagnostics.map((d) => [d.code, d.line, d.column, d.message])).toEqual([
      [
        "FLOW_DUPLICATE_KEY",
        3,
        1,
        "duplicate key `id`: each key may appear once in a mapping; remove or rename one of them",
      ],
    ]);
  });

  it("rejects documents whose aliases expand too much", () => {
    const bomb = `a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [${"*a, ".repeat(10)}*a]\nc: [${"*b, ".repeat(10)}*b]\n`;
    const result = loadFlowSource(bomb, "bomb.yaml");
    expect(result.diagnostics.map((d) => [d.code, d.line, d.column])).toEqual([["FLOW_ALIAS_LIMIT", 2, 8]]);
    expect(result.diagnostics[0]!.message).toContain(`more than ${MAX_ALIAS_COUNT}`);
  });

  it("accepts a few aliases", () => {
    const result = loadFlowSource("a: &a { x: 1 }\nb: *a\n", "ok.yaml");
    expect(result.diagnostics).toEqual([]);
    expect(result.document).toEqual({ a: { x: 1 }, b: { x: 1 } });
  });

  it("rejects roots that are not mappings, and empty files", () => {
    expect(loadFlowSource("- 1\n", "l.yaml").diagnostics[0]!.code).toBe("FLOW_ROOT_NOT_OBJECT");
    expect(loadFlowSource("# nothing\n", "e.yaml").diagnostics[0]!.message).toContain("the file is empty");
    expect(loadFlowSource("42\n", "n.yaml").diagnostics[0]!.message).toContain("a number");
  });

  it("rejects values JSON cannot hold", () => {
    expect(loadFlowSource("a: .nan\n", "n.yaml").diagnostics.map((d) => d.code)).toEqual([
      "FLOW_UNSUPPORTED_VALUE",
    ]);
    expect(loadFlowSource("? [a, b]\n: 1\n", "k.yaml").diagnostics.map((d) => d.code)).toEqual([
      "FLOW_UNSUPPORTED_VALUE",
    ]);
  });

  it("reads YAML 1.2: yes/no and on/off stay strings", () => {
    expect(loadFlowSource("a: yes\nb: off\nc: 010\n", "y.yaml").document).toEqual({
      a: "yes",
      b: "off",
      c: 10,
    });
  });

  it("keeps __proto__ as a plain key", () => {
    const doc = loadFlowSource("__proto__: { polluted: true }\n", "p.yaml").document as object;
    expect(Object.hasOwn(doc, "__proto__")).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe("loadFlowSource (JSON)", () => {
  const text =
    '{\n  "flows": 1,\n  "nodes": [\n    { "id": "a", "inputs": { "x": "t\\u00e9\\n ${{ trigger.q }}" } }\n  ]\n}\n';
  const source = loadFlowSource(text, "demo.json");

  it("parses strictly and locates values, keys and characters in strings", () => {
    expect(source.diagnostics).toEqual([]);
    expect(source.locate("/nodes/0/id")).toEqual({ line: 4, column: 13 });
    expect(source.locate("/nodes/0/inputs", { key: true })).toEqual({ line: 4, column: 18 });
    const value = (source.document as { nodes: { inputs: { x: string } }[] }).nodes[0]!.inputs.x;
    expect(at(text, source.locate("/nodes/0/inputs/x", { index: value.indexOf("trigger") }), 9)).toBe(
      "trigger.q",
    );
  });

  it("rejects what JSON.parse rejects, with a position and a reason", () => {
    const cases: [string, number, number, string][] = [
      ['{"a": 1,}', 1, 9, "trailing comma"],
      ["{'a': 1}", 1, 2, "property name in double quotes"],
      ['{"a": tru}', 1, 7, "expected a value"],
      ['{"a": "x\ny"}', 1, 9, "control character"],
      ['{"a": 1} x', 1, 10, "after the end"],
      ["# comment\n{}", 1, 1, "expected a value"],
    ];
    for (const [json, line, column, reason] of cases) {
      const [d] = loadFlowSource(json, "x.json").diagnostics;
      expect([d!.code, d!.line, d!.column]).toEqual(["FLOW_SYNTAX", line, column]);
      expect(d!.message).toContain(reason);
    }
  });

  it("reports duplicate keys, which JSON.parse would silently drop", () => {
    const dup = loadFlowSource('{\n  "a": 1,\n  "a": 2\n}', "d.json");
    expect(dup.document).toBeUndefined();
    expect(dup.diagnostics.map((d) => [d.code, d.line, d.column])).toEqual([["FLOW_DUPLICATE_KEY", 3, 3]]);
  });

  it("rejects values nested too deeply", () => {
    const deep = `{"a": ${"[".repeat(500)}${"]".repeat(500)}}`;
    expect(loadFlowSource(deep, "deep.json").diagnostics.map((d) => d.code)).toEqual([
      "FLOW_UNSUPPORTED_VALUE",
    ]);
  });
});
