import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { BUILTIN_KIND_SPECS } from "../../kernel/kinds/specs.ts";
import { applyEdits, edit, type Json, mutate, mutationOf } from "../../test/flow-mutations.ts";
import { documentedCodes, readFixtures, TEST_CATALOG, TEST_VALIDATORS } from "../../test/flows.ts";
import type { FlowSource, ValidationResult } from "./index.ts";
import { validateFlows } from "./index.ts";

/**
 * Property tests: random and mutated documents never make the validator throw, every diagnostic carries a
 * documented code and a position inside the file. 10,500 documents in all (about 15 s on a 2-core machine).
 */

const CODES = documentedCodes();
const VALID = readFixtures("valid");
const BASES = VALID.map((s) => validateFlows([s], BUILTIN_KIND_SPECS).flows[0]!.document as unknown);

/** Codes seen across all runs, to check that the mutations reach most rules. */
const SEEN = new Set<string>();

/** The invariants of one result (plain checks: `expect` per diagnostic would dominate the run time). */
function problems(result: ValidationResult, sources: readonly FlowSource[]): string[] {
  const lines = new Map(sources.map((s) => [s.file, s.text.split("\n").length]));
  const out: string[] = [];
  for (const d of result.diagnostics) {
    SEEN.add(d.code);
    if (!CODES.has(d.code) || d.code === "FLOW_INTERNAL_ERROR")
      out.push(`undocumented or internal code: ${d.code} ${d.message}`);
    if (!(d.line >= 1 && d.column >= 1 && d.line <= lines.get(d.file)!))
      out.push(`bad position ${d.line}:${d.column} (${d.code})`);
    if (typeof d.pointer !== "string" || d.message.length === 0) out.push(`incomplete diagnostic ${d.code}`);
  }
  if (result.ok !== !result.diagnostics.some((d) => d.severity === "error"))
    out.push("ok does not match the errors");
  return out;
}

function validate(sources: FlowSource[]): void {
  const result = validateFlows(sources, TEST_CATALOG, { configValidators: TEST_VALIDATORS });
  const found = problems(result, sources);
  if (found.length > 0) throw new Error(`${found.join("\n")}\n--- ${sources[0]?.file}\n${sources[0]?.text}`);
}

// --- Mutations of valid documents ---------------------------------------------------------------

const EXPRESSIONS = [
  "${{",
  "}}",
  "${{ }}",
  "$${{ x }}",
  "${{ nodes.nope.out }}",
  "${{ nodes.parse.bogus }}",
  "${{ input.x }}",
  "${{ item + index }}",
  "${{ trigger.body. }}",
  "${{ 1 + }}",
  "${{ payload }}",
  "${{ nodes.reply.out }}",
  `\${{ ${"[".repeat(70)}1${"]".repeat(70)} }}`,
  "text ${{ trigger.x }} and ${{ nodes.",
];

const KINDS = [...Object.keys(TEST_CATALOG), "nope", "transfrom", ""];

const scalar: fc.Arbitrary<Json> = fc.oneof(
  fc.constantFrom<Json>(
    null,
    true,
    false,
    0,
    -1,
    1.5,
    1e21,
    "",
    "GET",
    "/x/:y",
    "5s",
    "99h",
    "kv",
    "queue",
    "*",
  ),
  fc.constantFrom<Json>(...EXPRESSIONS, ...KINDS),
  fc.string({ maxLength: 12 }),
  fc.integer(),
);
const value: fc.Arbitrary<Json> = fc.oneof(
  { weight: 4, arbitrary: scalar },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json> },
);

const mutation = mutationOf(value);

const yamlish = fc
  .array(
    fc.constantFrom(
      "flows: 1\n",
      "id: x\n",
      "nodes:\n",
      "  - id: a\n",
      "    kind: transform\n",
      "- ",
      ": ",
      "{",
      "}",
      "[",
      "]",
      "&a",
      "*a",
      "\n",
      " ",
      "'",
      '"',
      "${{ x }}",
      "#",
    ),
    {
      maxLength: 25,
    },
  )
  .map((parts) => parts.join(""));

// --- Properties ------------------------------------------------------------------------------------

const asSource = (doc: Json, format: "yaml" | "json", i: number): FlowSource =>
  format === "json"
    ? { file: `m${i}.json`, text: JSON.stringify(doc, null, 1) }
    : { file: `m${i}.yaml`, text: stringify(doc, { aliasDuplicateObjects: false }) };

describe("validateFlows on random and mutated documents", () => {
  it("handles 6,000 mutated valid documents (YAML and JSON)", () => {
    fc.assert(
      fc.property(
        fc.nat({ max: BASES.length - 1 }),
        fc.array(mutation, { minLength: 1, maxLength: 4 }),
        // JSON is parsed faster than YAML: it lets the run reach more documents in the same time.
        fc.constantFrom("yaml" as const, "json" as const, "json" as const),
        (base, mutations, format) => {
          validate([asSource(mutate(BASES[base] as Json, mutations), format, 0)]);
        },
      ),
      { numRuns: 6_000 },
    );
  });

  it("handles 600 deployments of several mutated documents (cross-flow rules)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat({ max: BASES.length - 1 }), fc.array(mutation, { maxLength: 2 })), {
          minLength: 2,
          maxLength: 4,
        }),
        (docs) => {
          validate(
            docs.map(([base, mutations], i) =>
              asSource(mutate(BASES[base] as Json, mutations), i % 2 ? "json" : "yaml", i),
            ),
          );
        },
      ),
      { numRuns: 600 },
    );
  });

  it("handles 2,000 textual edits of the valid fixtures", () => {
    fc.assert(
      fc.property(
        fc.nat({ max: VALID.length - 1 }),
        fc.array(edit, { minLength: 1, maxLength: 5 }),
        (i, edits) => {
          const source = VALID[i]!;
          validate([{ file: source.file, text: applyEdits(source.text, edits) }]);
        },
      ),
      { numRuns: 2_000 },
    );
  });

  it("handles 1,900 random texts and JSON values", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          yamlish.map((text) => ({ file: "r.yaml", text })),
          fc.string({ maxLength: 40 }).map((text) => ({ file: "r.yaml", text })),
          fc.string({ maxLength: 40 }).map((text) => ({ file: "r.json", text })),
          fc.jsonValue({ maxDepth: 4 }).map((v) => ({ file: "r.json", text: JSON.stringify(v) })),
        ),
        (source) => {
          validate([source]);
        },
      ),
      { numRuns: 1_900 },
    );
  });

  it("reached most rules along the way", () => {
    const expected = [
      "FLOW_SYNTAX",
      "FLOW_SCHEMA_VALUE",
      "FLOW_UNKNOWN_KIND",
      "FLOW_EXPR_SYNTAX",
      "FLOW_UNKNOWN_NODE_REF",
      "FLOW_CYCLE",
    ];
    for (const code of expected) expect(SEEN).toContain(code);
    expect(SEEN.size).toBeGreaterThanOrEqual(30);
  });
});
