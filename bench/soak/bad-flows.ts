import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { stringify } from "yaml";
import { CAPABILITY_DECLARATIONS } from "../../capabilities/declarations.ts";
import { ALL_CAPABILITY_KINDS } from "../../capabilities/index.ts";
import { defaultCatalog } from "../../cli/catalog.ts";
import { analyzeFlows } from "../../cli/package/analyze.ts";
import { bundle } from "../../cli/package/bundle.ts";
import { renderConfig, wranglerConfig } from "../../cli/package/config.ts";
import { entryModule } from "../../cli/package/entry.ts";
import { PackageError } from "../../cli/package/errors.ts";
import type { FlowSource } from "../../flows/index.ts";
import { validateFlows } from "../../flows/index.ts";
import { BUILTIN_KINDS, createPlan, createRegistry } from "../../kernel/index.ts";
import { applyEdits, edit, type Json, mutate, mutationOf } from "../../test/flow-mutations.ts";
import type { SoakSection } from "./run.ts";

/**
 * Bad input, flow files: generated and mutated flow documents through load (YAML/JSON parse), validate, plan
 * (the kernel's createPlan, what a Worker does at start) and package (analyze, wrangler config, entry module:
 * everything of `flows package workers` but esbuild). Properties: nothing throws but a coded PackageError, every
 * diagnostic has a documented code, no document takes longer than PER_DOCUMENT_MS. Bundling takes about a second
 * per document, so only a sample of the valid ones is bundled.
 */

const ROOT = join(import.meta.dirname, "..", "..");
/** A document that takes longer than this through all steps counts as a hang. */
export const PER_DOCUMENT_MS = 2_000;

/** The seeds: the valid validator fixtures and every example flow. */
function seeds(): FlowSource[] {
  const out: FlowSource[] = [];
  const fixtures = join(ROOT, "flows", "validate", "fixtures", "valid");
  for (const name of readdirSync(fixtures).sort())
    out.push({ file: name, text: readFileSync(join(fixtures, name), "utf8") });
  const examples = join(ROOT, "examples");
  for (const dir of readdirSync(examples, { withFileTypes: true })) {
    if (!dir.isDirectory()) continue;
    for (const name of readdirSync(join(examples, dir.name)).sort()) {
      if (/\.ya?ml$/.test(name))
        out.push({ file: `${dir.name}/${name}`, text: readFileSync(join(examples, dir.name, name), "utf8") });
    }
  }
  return out;
}

/** The codes documented under "Validation codes" in impl-docs/errors.md. */
function validationCodes(): Set<string> {
  const md = readFileSync(join(ROOT, "impl-docs", "errors.md"), "utf8");
  const section = md.slice(md.indexOf("## Validation codes"));
  const end = section.indexOf("\n## ", 4);
  const body = end === -1 ? section : section.slice(0, end);
  return new Set([...body.matchAll(/^\| `(FLOW_[A-Z_]+)` \|/gm)].map((m) => m[1]!));
}

// --- Generators ------------------------------------------------------------------------------------

const HOSTILE_STRINGS: Json[] = [
  "${{",
  "}}",
  "${{ }}",
  "$${{ x }}",
  "${{ nodes.nope.out }}",
  "${{ input.x }}",
  "${{ item + index }}",
  "${{ trigger.body. }}",
  "${{ payload }}",
  `\${{ ${"[".repeat(80)}1${"]".repeat(80)} }}`,
  `\${{ ${Array.from({ length: 1200 }, () => "1").join(" + ")} }}`,
  "${{ range(10000).map(x, range(10000).map(y, x)) }}",
  "../../etc/passwd",
  "/x/:y/:y",
  "/%2e%2e/%2f",
  "\u0000",
  "\ud800",
  "x".repeat(5000),
  "__proto__",
  "constructor",
  "kv.get",
  "github.request",
  "r2.put",
  "queue.send",
  "99999h",
  "-1s",
  "*/0 * * * *",
];

const scalar: fc.Arbitrary<Json> = fc.oneof(
  fc.constantFrom<Json>(null, true, false, 0, -1, 1.5, 1e308, -0, "", ...HOSTILE_STRINGS),
  fc.string({ maxLength: 12 }),
  fc.integer(),
);
const value: fc.Arbitrary<Json> = fc.oneof(
  { weight: 4, arbitrary: scalar },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json> },
);

const mutation = mutationOf(value);

const pathological: fc.Arbitrary<FlowSource> = fc.oneof(
  fc
    .nat({ max: 5000 })
    .map((n) => ({ file: "deep.json", text: `${"[".repeat(n + 100)}${"]".repeat(n + 100)}` })),
  fc.nat({ max: 3000 }).map((n) => ({ file: "deep.yaml", text: `${"- ".repeat(n + 50)}x\n` })),
  fc.nat({ max: 30 }).map((n) => ({
    file: "laughs.yaml",
    text: `a: &a [x, x, x, x, x, x, x, x, x, x]\n${Array.from({ length: n + 2 }, (_, i) => `b${i}: &b${i} [${Array.from({ length: 10 }, () => (i === 0 ? "*a" : `*b${i - 1}`)).join(", ")}]`).join("\n")}\n`,
  })),
  fc.nat({ max: 2000 }).map((n) => ({
    file: "wide.yaml",
    text: `flows: 1\nid: wide\nversion: 1.0.0\ntriggers: [{ type: http, method: POST, path: /w }]\nnodes:\n${Array.from({ length: n + 1 }, (_, i) => `  - { id: n${i}, kind: transform, config: { value: "\${{ trigger.x + ${i} }}" } }`).join("\n")}\n`,
  })),
  fc.string({ maxLength: 200, unit: "binary" }).map((text) => ({ file: "r.yaml", text })),
);

export interface FlowFuzzStats {
  documents: number;
  accepted: number;
  rejected: number;
  /** Packaging refused a valid flow with a coded PackageError (e.g. too many subrequests). */
  packageRefused: number;
  codes: Map<string, number>;
  failures: string[];
  maxMs: number;
  totalMs: number;
  /** Valid documents kept for bundling. */
  validSamples: { file: string; document: unknown }[];
}

/**
 * Runs `count` generated documents (seeded: the same seed gives the same documents) through load, validate,
 * plan and package. Failures: a throw that is not a coded PackageError, an undocumented or internal code, or a
 * document slower than PER_DOCUMENT_MS.
 */
export function fuzzFlowDocuments(count: number, seed = 9, perDocumentMs = PER_DOCUMENT_MS): FlowFuzzStats {
  const catalog = defaultCatalog();
  const registry = createRegistry(BUILTIN_KINDS, ALL_CAPABILITY_KINDS);
  const codes = validationCodes();
  const bases = seeds();
  const parsed = bases.map((s) => validateFlows([s], catalog).flows[0]?.document as Json | undefined);
  const baseDocs = parsed.filter((d): d is Json => d !== undefined);
  if (baseDocs.length < 10) throw new Error(`only ${baseDocs.length} seed documents are valid`);
  const stats: FlowFuzzStats = {
    documents: 0,
    accepted: 0,
    rejected: 0,
    packageRefused: 0,
    codes: new Map(),
    failures: [],
    maxMs: 0,
    totalMs: 0,
    validSamples: [],
  };
  const source: fc.Arbitrary<FlowSource[]> = fc.oneof(
    {
      weight: 6,
      arbitrary: fc
        .tuple(
          fc.nat({ max: baseDocs.length - 1 }),
          fc.array(mutation, { minLength: 1, maxLength: 4 }),
          fc.boolean(),
        )
        .map(([i, ms, json]) => {
          const doc = mutate(baseDocs[i]!, ms);
          return [
            json
              ? { file: `m${i}.json`, text: JSON.stringify(doc, null, 1) }
              : { file: `m${i}.yaml`, text: stringify(doc, { aliasDuplicateObjects: false }) },
          ];
        }),
    },
    {
      weight: 2,
      arbitrary: fc
        .tuple(fc.nat({ max: bases.length - 1 }), fc.array(edit, { minLength: 1, maxLength: 5 }))
        .map(([i, edits]) => [{ file: bases[i]!.file, text: applyEdits(bases[i]!.text, edits) }]),
    },
    {
      weight: 1,
      arbitrary: fc
        .array(fc.tuple(fc.nat({ max: baseDocs.length - 1 }), fc.array(mutation, { maxLength: 2 })), {
          minLength: 2,
          maxLength: 4,
        })
        .map((docs) =>
          docs.map(([i, ms], n) => ({ file: `d${n}.json`, text: JSON.stringify(mutate(baseDocs[i]!, ms)) })),
        ),
    },
    { weight: 1, arbitrary: pathological.map((s) => [s]) },
  );
  const samples = fc.sample(source, { numRuns: count, seed });
  for (const sources of samples) {
    stats.documents += sources.length;
    const started = performance.now();
    try {
      checkOne(sources, catalog, registry, codes, stats);
    } catch (error) {
      stats.failures.push(
        `${sources[0]?.file}: threw ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`,
      );
    }
    const ms = performance.now() - started;
    stats.totalMs += ms;
    if (ms > stats.maxMs) stats.maxMs = ms;
    if (ms > perDocumentMs) stats.failures.push(`${sources[0]?.file}: took ${ms.toFixed(0)} ms`);
  }
  return stats;
}

function checkOne(
  sources: FlowSource[],
  catalog: ReturnType<typeof defaultCatalog>,
  registry: ReturnType<typeof createRegistry>,
  codes: Set<string>,
  stats: FlowFuzzStats,
): void {
  const result = validateFlows(sources, catalog);
  for (const d of result.diagnostics) {
    stats.codes.set(d.code, (stats.codes.get(d.code) ?? 0) + 1);
    if (!codes.has(d.code) || d.code === "FLOW_INTERNAL_ERROR")
      stats.failures.push(`${d.file}: undocumented or internal code ${d.code}: ${d.message}`);
  }
  if (!result.ok) {
    stats.rejected += sources.length;
    if (!result.diagnostics.some((d) => d.severity === "error"))
      stats.failures.push("rejected without an error diagnostic");
    return;
  }
  const documents = result.flows.map((f) => f.document);
  for (const document of documents) createPlan(document, { registry });
  try {
    const analysis = analyzeFlows(documents, catalog, CAPABILITY_DECLARATIONS);
    const options = { name: "fuzz", files: sources.map((s) => s.file) };
    renderConfig(wranglerConfig(analysis, CAPABILITY_DECLARATIONS, options), analysis, options);
    entryModule(analysis, "off");
  } catch (error) {
    if (!(error instanceof PackageError)) throw error;
    stats.packageRefused += sources.length;
    stats.codes.set(error.code, (stats.codes.get(error.code) ?? 0) + 1);
    return;
  }
  stats.accepted += sources.length;
  if (stats.validSamples.length < 200)
    stats.validSamples.push({ file: sources[0]!.file, document: documents });
}

const top = (codes: Map<string, number>, n: number): string =>
  [...codes]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([c, k]) => `${c} ${k}`)
    .join(", ");

export const badFlowsSection: SoakSection = {
  name: "Bad input: flow files",
  async run(print) {
    const stats = fuzzFlowDocuments(10_000);
    print(
      `documents: ${stats.documents} (${stats.accepted} accepted and packaged, ${stats.rejected} rejected with diagnostics, ${stats.packageRefused} refused by packaging with a code)`,
    );
    print(`distinct codes: ${stats.codes.size}; most frequent: ${top(stats.codes, 8)}`);
    print(
      `time: ${(stats.totalMs / 1000).toFixed(1)} s in all, mean ${(stats.totalMs / 10_000).toFixed(2)} ms, max ${stats.maxMs.toFixed(0)} ms per sample (bound ${PER_DOCUMENT_MS} ms)`,
    );
    // Bundle a sample of the valid ones with esbuild (the rest of `flows package`): ~1 s each, so 20.
    const sample = stats.validSamples
      .filter((_, i) => i % Math.max(1, Math.floor(stats.validSamples.length / 20)) === 0)
      .slice(0, 20);
    let bundled = 0;
    const bundleStart = performance.now();
    for (const { file, document } of sample) {
      try {
        await bundleOne(document as never);
        bundled++;
      } catch (error) {
        if (error instanceof PackageError) continue;
        stats.failures.push(`${file}: bundling threw ${(error as Error).message}`);
      }
    }
    print(
      `bundled: ${bundled} of a sample of ${sample.length} valid documents (${((performance.now() - bundleStart) / 1000).toFixed(1)} s)`,
    );
    for (const failure of stats.failures.slice(0, 10)) print(`failure: ${failure.slice(0, 300)}`);
    print(`failures: ${stats.failures.length}`);
    return stats.failures.length === 0 && stats.documents >= 10_000;
  },
};

/** Writes the package files of `documents` to a temporary directory and bundles them with esbuild. */
async function bundleOne(documents: Parameters<typeof analyzeFlows>[0]): Promise<void> {
  const { mkdtemp, rm, writeFile } = await import("node:fs/promises");
  const { tmpdir } = await import("node:os");
  const dir = await mkdtemp(join(tmpdir(), "flows-soak-"));
  try {
    const catalog = defaultCatalog();
    const analysis = analyzeFlows(documents, catalog, CAPABILITY_DECLARATIONS);
    await writeFile(join(dir, "entry.js"), entryModule(analysis, "off"));
    await writeFile(join(dir, "flows.json"), JSON.stringify(documents));
    await bundle(join(dir, "entry.js"), join(dir, "worker.js"), true);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
