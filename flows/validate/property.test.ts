import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { BUILTIN_KIND_SPECS } from "../../kernel/kinds/specs.ts";
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

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

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

type Mutation =
  | { op: "delete" | "retype" | "rename" | "duplicate"; path: number[] }
  | { op: "link"; from: number; to: number; after: boolean }
  | { op: "policy"; node: number; field: "timeout" | "retry" | "idempotencyKey" | "kind"; value: Json }
  | { op: "replace"; path: number[]; value: Json }
  | { op: "add"; path: number[]; key: string; value: Json };

const path = fc.array(fc.nat(), { maxLength: 6 });
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({
    op: fc.constant("link"),
    from: fc.nat(),
    to: fc.nat(),
    after: fc.boolean(),
  }) as fc.Arbitrary<Mutation>,
  fc.record({
    op: fc.constant("policy"),
    node: fc.nat(),
    field: fc.constantFrom("timeout", "retry", "idempotencyKey", "kind"),
    value: fc.constantFrom<Json>(
      "10m",
      "5m",
      "1h",
      { attempts: 3 },
      { attempts: 2, idempotent: true },
      "${{ run.id }}",
      "kv.put",
      "kv.get",
      "queue.send",
      "http.fetch",
    ),
  }) as fc.Arbitrary<Mutation>,
  fc.record({
    op: fc.constantFrom("delete", "retype", "rename", "duplicate"),
    path,
  }) as fc.Arbitrary<Mutation>,
  fc.record({ op: fc.constant("replace"), path, value }) as fc.Arbitrary<Mutation>,
  fc.record({
    op: fc.constant("add"),
    path,
    key: fc.constantFrom(
      "id",
      "kind",
      "inputs",
      "config",
      "after",
      "when",
      "retry",
      "timeout",
      "binding",
      "extra",
      "x",
    ),
    value,
  }) as fc.Arbitrary<Mutation>,
);

/** Walks `choices` down the document; returns the container and key of the chosen value. */
function pick(
  root: Json,
  choices: number[],
): { parent: Json[] | Record<string, Json>; key: string | number } | undefined {
  let parent: Json[] | Record<string, Json> | undefined;
  let key: string | number | undefined;
  let current: Json = root;
  for (const choice of choices) {
    if (Array.isArray(current) && current.length > 0) {
      parent = current;
      key = choice % current.length;
    } else if (current !== null && typeof current === "object" && Object.keys(current).length > 0) {
      parent = current;
      const keys = Object.keys(current);
      key = keys[choice % keys.length]!;
    } else break;
    current = (parent as Record<string | number, Json>)[key]!;
  }
  return parent !== undefined && key !== undefined ? { parent, key } : undefined;
}

function retype(v: Json): Json {
  if (typeof v === "string") return v.length;
  if (typeof v === "number") return String(v);
  if (Array.isArray(v)) return { 0: v[0] ?? null };
  if (v !== null && typeof v === "object") return Object.values(v);
  return v === null ? {} : null;
}

/** Links two nodes (an input reference or `after`): makes cycles and self-references likely. */
function link(root: Json, m: Extract<Mutation, { op: "link" }>): void {
  const nodes = (root as { nodes?: Json }).nodes;
  if (!Array.isArray(nodes) || nodes.length === 0) return;
  const from = nodes[m.from % nodes.length] as Record<string, Json>;
  const to = nodes[m.to % nodes.length] as Record<string, Json>;
  if (!from || typeof from !== "object" || typeof to?.id !== "string") return;
  if (m.after) from.after = [to.id];
  else from.inputs = { ...(from.inputs as object), linked: `\${{ nodes.${to.id}.out }}` };
}

function setPolicy(root: Json, m: Extract<Mutation, { op: "policy" }>): void {
  const nodes = (root as { nodes?: Json }).nodes;
  if (!Array.isArray(nodes) || nodes.length === 0) return;
  const node = nodes[m.node % nodes.length] as Record<string, Json>;
  if (node && typeof node === "object" && !Array.isArray(node)) node[m.field] = m.value;
}

function mutate(doc: Json, mutations: Mutation[]): Json {
  const root = structuredClone(doc);
  for (const m of mutations) {
    if (m.op === "link") {
      link(root, m);
      continue;
    }
    if (m.op === "policy") {
      setPolicy(root, m);
      continue;
    }
    const at = pick(root, m.path);
    if (!at) continue;
    const target = at.parent as Record<string | number, Json>;
    const current = target[at.key]!;
    switch (m.op) {
      case "delete":
        if (Array.isArray(at.parent)) at.parent.splice(at.key as number, 1);
        else delete target[at.key];
        break;
      case "replace":
        target[at.key] = m.value;
        break;
      case "retype":
        target[at.key] = retype(current);
        break;
      case "rename":
        target[at.key] =
          typeof current === "string" ? `${current.slice(0, -1)}${current.endsWith("a") ? "b" : "a"}` : "n0";
        break;
      case "duplicate":
        if (Array.isArray(at.parent)) at.parent.push(structuredClone(current));
        break;
      case "add":
        if (current !== null && typeof current === "object" && !Array.isArray(current))
          current[m.key] = m.value;
        break;
    }
  }
  return root;
}

// --- Textual mutations and random text --------------------------------------------------------------

type Edit = { at: number; remove: number; insert: string };
const edit: fc.Arbitrary<Edit> = fc.record({
  at: fc.nat(),
  remove: fc.nat({ max: 8 }),
  insert: fc.oneof(
    fc.constantFrom(
      "",
      ":",
      "- ",
      "  ",
      "\n",
      "\t",
      "{",
      "}",
      "[",
      "]",
      "&a ",
      "*a",
      "!tag ",
      '"',
      "'",
      "#",
      "${{",
      "}}",
      "---\n",
      "? ",
    ),
    fc.string({ maxLength: 6 }),
  ),
});

function applyEdits(text: string, edits: Edit[]): string {
  let out = text;
  for (const e of edits) {
    const at = out.length === 0 ? 0 : e.at % (out.length + 1);
    out = out.slice(0, at) + e.insert + out.slice(at + e.remove);
  }
  return out;
}

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
