import { describe, expect, it } from "vitest";
import { HTTP_KIND_SPECS } from "../../capabilities/http/declaration.ts";
import { BUILTIN_KIND_SPECS as BUILTINS } from "../../kernel/kinds/specs.ts";

/** The built-in kinds plus `http.fetch` (the HTTP capability), which the fixtures use as their external kind. */
const BUILTIN_KIND_SPECS = { ...BUILTINS, ...HTTP_KIND_SPECS };

import { readFixtures } from "../../test/flows.ts";
import { validateFlows } from "./index.ts";

const invalid = readFixtures("invalid").map((source) => {
  const m = /expect: (FLOW_[A-Z_]+) (\d+):(\d+)/.exec(source.text);
  if (!m) throw new Error(`${source.file} has no \`expect: CODE line:column\` header`);
  return { ...source, code: m[1]!, line: Number(m[2]), column: Number(m[3]) };
});

describe("invalid fixtures", () => {
  it("are at least 30, some of them JSON", () => {
    expect(invalid.length).toBeGreaterThanOrEqual(30);
    expect(invalid.filter((f) => f.file.endsWith(".json")).length).toBeGreaterThanOrEqual(3);
  });

  it.each(invalid)("$file reports $code at $line:$column", ({ file, text, code, line, column }) => {
    const result = validateFlows([{ file, text }], BUILTIN_KIND_SPECS);
    const found = result.diagnostics.filter((d) => d.code === code);
    expect(found.map((d) => `${d.code} ${d.line}:${d.column}`)).toContain(`${code} ${line}:${column}`);
    const d = found.find((x) => x.line === line && x.column === column)!;
    expect(d.file).toBe(file);
    expect(d.message.length).toBeGreaterThan(10);
    if (d.severity === "error") expect(result.ok).toBe(false);
  });
});

describe("valid fixtures", () => {
  const valid = readFixtures("valid");

  // Validated with the others: `orders` calls `notify-customer` as a subflow.
  it.each(valid)("$file has no diagnostic", ({ file }) => {
    const result = validateFlows(valid, BUILTIN_KIND_SPECS);
    expect(result.diagnostics.filter((d) => d.file === file)).toEqual([]);
    const flow = result.flows.find((f) => f.file === file);
    expect(flow?.ok).toBe(true);
  });

  it("validate together as one deployment, with their determinism and effects", () => {
    const result = validateFlows(valid, BUILTIN_KIND_SPECS);
    expect(result.ok).toBe(true);
    expect(result.flows.map((f) => [f.document.id, f.determinism, f.effects])).toEqual([
      ["approval", "nondeterministic", ["pure", "read", "external"]],
      ["hello", "strict", ["pure"]],
      ["metered", "strict", ["pure"]],
      ["nightly-report", "nondeterministic", ["pure", "external"]],
      ["notify-customer", "strict", ["pure"]],
      ["orders", "nondeterministic", ["pure", "external"]],
    ]);
  });

  it("cover every trigger type, binding type and construct", () => {
    const docs = validateFlows(valid, BUILTIN_KIND_SPECS).flows.map((f) => f.document);
    const triggers = new Set(docs.flatMap((d) => d.triggers.map((t) => t.type)));
    expect([...triggers].sort()).toEqual(["cron", "github", "http", "queue"]);
    const bindings = new Set(docs.flatMap((d) => Object.values(d.bindings ?? {}).map((b) => b.type)));
    expect([...bindings].sort()).toEqual([
      "analyticsEngine",
      "durableObject",
      "kv",
      "queue",
      "r2",
      "secret",
      "var",
    ]);
    const nodes = docs.flatMap((d) => d.nodes);
    const kinds = new Set(nodes.map((n) => n.kind));
    for (const kind of [
      "map",
      "switch",
      "merge",
      "condition",
      "respond",
      "subflow",
      "http.fetch",
      "delay",
      "log",
      "fail",
    ]) {
      expect(kinds).toContain(kind);
    }
    expect(nodes.some((n) => n.after)).toBe(true);
    expect(nodes.some((n) => n.when)).toBe(true);
    expect(nodes.some((n) => n.retry)).toBe(true);
    expect(nodes.some((n) => n.timeout)).toBe(true);
    expect(nodes.some((n) => n.idempotencyKey)).toBe(true);
    expect(docs.some((d) => d.defaults?.retry && d.defaults.timeout && d.defaults.deadline)).toBe(true);
    expect(docs.some((d) => d.output)).toBe(true);
  });
});
