import { describe, expect, it } from "vitest";
import { HOSTILE_CASES, runHostile } from "./bad-expressions.ts";

/** The soak's expression section as a test: every hostile payload fails the run with EXPRESSION_LIMIT. */
describe("hostile payloads in a run", () => {
  for (const c of HOSTILE_CASES) {
    it(`refuses ${c.name} with EXPRESSION_LIMIT`, async () => {
      const result = await runHostile(c);
      expect([result.status, result.code]).toEqual(["failed", "EXPRESSION_LIMIT"]);
    });
  }
});
