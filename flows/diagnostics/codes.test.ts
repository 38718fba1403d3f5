import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { documentedCodes, ROOT } from "../../test/flows.ts";
import { VALIDATION_CODES } from "./index.ts";

describe("validation codes", () => {
  it("are all documented in impl-docs/errors.md, and only they", () => {
    expect([...documentedCodes()].sort()).toEqual(Object.keys(VALIDATION_CODES).sort());
  });

  it("have the severity the documentation gives", () => {
    const md = readFileSync(join(ROOT, "impl-docs", "errors.md"), "utf8");
    for (const [code, severity] of Object.entries(VALIDATION_CODES)) {
      expect(md).toContain(`| \`${code}\` | ${severity} |`);
    }
  });

  it("start with FLOW_ and are UPPER_SNAKE_CASE", () => {
    for (const code of Object.keys(VALIDATION_CODES)) expect(code).toMatch(/^FLOW_[A-Z0-9_]+$/);
  });
});
