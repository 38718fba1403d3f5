import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { defaultCatalog } from "../../cli/catalog.ts";
import { planSources, renderChangePlanMarkdown, renderChangePlanText } from "./index.ts";

/**
 * Golden tests: each folder of `fixtures/` is one kind of change, a `before/` and an `after/` set of flow files,
 * with the plan it gives for people (`expected.txt`), as JSON (`expected.json`) and as Markdown (`expected.md`).
 * `UPDATE_GOLDEN=1 npx vitest run flows/changes/golden.test.ts` rewrites the expected files (review the diff).
 */

const FIXTURES = join(import.meta.dirname, "fixtures");
const update = process.env.UPDATE_GOLDEN === "1";
const catalog = defaultCatalog();

const side = (dir: string) =>
  readdirSync(dir)
    .sort()
    .map((file) => ({ file, text: readFileSync(join(dir, file), "utf8") }));

const cases = readdirSync(FIXTURES).sort();

function golden(file: string, actual: string): void {
  if (update || !existsSync(file)) writeFileSync(file, actual);
  expect(actual).toBe(readFileSync(file, "utf8"));
}

describe("flows plan golden outputs", () => {
  it("cover at least 15 kinds of change, and one reformatting that is none", () => {
    expect(cases.length).toBeGreaterThanOrEqual(16);
    expect(cases).toContain("formatting-only");
  });

  for (const name of cases) {
    it(`${name}: the human, JSON and Markdown plans are the expected ones`, () => {
      const dir = join(FIXTURES, name);
      const plan = planSources(side(join(dir, "before")), side(join(dir, "after")), { catalog });
      if (name === "formatting-only") expect(plan.status).toBe("unchanged");
      else expect(plan.flows.length + plan.problems.length).toBeGreaterThan(0);
      golden(join(dir, "expected.txt"), renderChangePlanText(plan));
      golden(join(dir, "expected.json"), `${JSON.stringify(plan, null, 2)}\n`);
      golden(join(dir, "expected.md"), renderChangePlanMarkdown(plan));
    });
  }
});
