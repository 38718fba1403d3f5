import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "../../test/flows.ts";
import { CHANGE_SECTIONS, type ChangePlan } from "./index.ts";

/** impl-docs/plan.md against the code: every section has a row, the JSON shape lists the fields plans have. */

const DOC = readFileSync(join(ROOT, "impl-docs", "plan.md"), "utf8");
const FIXTURES = join(import.meta.dirname, "fixtures");
const plans = readdirSync(FIXTURES).map(
  (name) => JSON.parse(readFileSync(join(FIXTURES, name, "expected.json"), "utf8")) as ChangePlan,
);

/** The top-level field names of `interface <name> { ... }` in the document's TypeScript block. */
function fields(name: string): string[] {
  const at = DOC.indexOf(`interface ${name} {`);
  expect(at, name).toBeGreaterThan(-1);
  const out: string[] = [];
  let depth = 0;
  let token = "";
  let atStart = true;
  for (const c of DOC.slice(at + `interface ${name} `.length).replace(/\/\/[^\n]*/g, "")) {
    if (c === "{") depth++;
    else if (c === "}") {
      if (--depth === 0) break;
    } else if (depth === 1 && (c === ";" || c === "\n")) atStart = true;
    else if (depth === 1 && atStart && /[A-Za-z?]/.test(c)) token += c;
    else if (depth === 1 && atStart && c === ":" && token) {
      out.push(token.replace("?", ""));
      token = "";
      atStart = false;
    } else if (depth === 1 && !/\s/.test(c)) {
      token = "";
      atStart = false;
    }
  }
  return out;
}

describe("impl-docs/plan.md", () => {
  it("has a row with an example for every section", () => {
    for (const section of CHANGE_SECTIONS)
      expect(DOC, section).toMatch(new RegExp(`^\\| \`${section}\` \\|.*\\|.*\\(`, "m"));
  });

  it("documents the fields of the JSON shape that plans have", () => {
    const plan = plans.find((p) => p.flows.length > 0 && p.problems.length > 0)!;
    const shared = plans.flatMap((p) => p.shared)[0]!;
    expect(fields("ChangePlan")).toEqual(Object.keys(plan));
    expect(fields("FlowChange")).toEqual(Object.keys(plan.flows[0]!));
    expect(fields("Change")).toEqual(Object.keys(plan.flows[0]!.changes[0]!));
    expect(fields("SharedTrigger")).toEqual(Object.keys(shared));
    expect(fields("PlanProblem")).toEqual(Object.keys(plan.problems[0]!));
  });

  it("quotes messages the golden tests give", () => {
    const messages = new Set(plans.flatMap((p) => p.flows.flatMap((f) => f.changes.map((c) => c.message))));
    for (const quoted of [
      "node `record` renamed to `store`",
      "now consumes queue `jobs-v2` instead of `jobs`",
    ])
      expect(messages.has(quoted), quoted).toBe(true);
  });
});
