import { describe, expect, it } from "vitest";
import { canonicalExpression } from "./canonical.ts";

const text = (source: string, renames?: Map<string, string>) => canonicalExpression(source, renames).text;

describe("canonicalExpression", () => {
  it("prints expressions that differ only in whitespace, redundant parentheses or quote style the same", () => {
    const forms = [
      "trigger.body.count*2 + (trigger.body.tip)",
      "  trigger.body.count * 2+trigger.body.tip ",
      "(trigger.body.count * 2) + trigger.body.tip",
      "trigger.body.count\n  * 2\n  + trigger.body.tip",
    ];
    expect(new Set(forms.map((f) => text(f)))).toEqual(
      new Set(["trigger.body.count * 2 + trigger.body.tip"]),
    );
    expect(text("'a' + \"b\"")).toBe(text("\"a\" + 'b'"));
    expect(text("[1,2,  3]")).toBe("[1, 2, 3]");
  });

  it("keeps what changes the value apart: precedence, operators, literals", () => {
    expect(text("(a + b) * c")).not.toBe(text("a + b * c"));
    expect(text("a > 1")).not.toBe(text("a >= 1"));
    expect(text("1")).not.toBe(text("1.0"));
    expect(text("'a b'")).not.toBe(text("'a  b'"));
  });

  it("sorts the entries of map literals by key", () => {
    expect(text("{'total': input.total, \"label\": input.label}")).toBe(
      '{"label": input.label, "total": input.total}',
    );
  });

  it("renames node references and reports the renamed references", () => {
    const renamed = canonicalExpression(
      "nodes.count.out + nodes['other'].out",
      new Map([["count", "tally"]]),
    );
    expect(renamed.text).toBe('nodes.tally.out + nodes["other"].out');
    expect(renamed.references.map((r) => [r.node, r.port])).toEqual([
      ["tally", "out"],
      ["other", "out"],
    ]);
    expect(text("nodes.count.out", new Map([["countX", "y"]]))).toBe("nodes.count.out");
  });

  it("compares an expression that does not parse as it is written, trimmed", () => {
    const bad = canonicalExpression("  a +  ");
    expect(bad).toMatchObject({ text: "a +", parsed: false, references: [] });
  });
});
