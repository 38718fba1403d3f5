import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { fuzzFlowDocuments } from "./bad-flows.ts";

/** The quick part of the soak's flow-file section (`npm run soak` runs 10,000). */
describe("bad flow documents (load + validate + plan + package)", () => {
  it("rejects 500 generated and mutated documents with documented codes, never throwing or hanging", () => {
    // No time bound here (tests assert no timings): the soak checks the per-document bound.
    const stats = fuzzFlowDocuments(500, 42, Number.POSITIVE_INFINITY);
    expect(stats.failures).toEqual([]);
    expect(stats.documents).toBeGreaterThanOrEqual(500);
    // The mix reaches both sides: some documents survive to packaging, most are rejected with several codes.
    expect(stats.accepted).toBeGreaterThan(10);
    expect(stats.rejected).toBeGreaterThan(200);
    expect(stats.codes.size).toBeGreaterThanOrEqual(10);
    // Packaging refusals carry codes documented in impl-docs/errors.md too.
    const doc = readFileSync(join(import.meta.dirname, "..", "..", "impl-docs", "errors.md"), "utf8");
    for (const code of stats.codes.keys())
      if (code.startsWith("PACKAGE_")) expect(doc).toContain(`\`${code}\``);
  });
});
