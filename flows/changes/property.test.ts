import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { defaultCatalog } from "../../cli/catalog.ts";
import type { Json } from "../../test/flow-mutations.ts";
import { ROOT } from "../../test/flows.ts";
import { CHANGE_KINDS, realChangeOfKind, reformatDocument, serialize } from "../../test/plan-mutations.ts";
import { seededRandom } from "../../test/random.ts";
import { loadFlowSource } from "../load/index.ts";
import { planSources } from "./index.ts";

/**
 * Property tests of the change plan over the example flows (examples/*): a reformatting (keys and nodes
 * reordered, YAML ↔ JSON, comments, quoting, whitespace inside expressions, bare fields wrapped, defaults written
 * out) gives an empty plan; one real change (of 23 kinds, made through a reformatting too) gives a plan that
 * names the changed element. The issue's counts, 10,000 and 1,000, are the defaults (`npm run test:plan` runs
 * only this file); FLOWS_PLAN_RUNS=<n> scales both for a quicker or a longer run.
 */

const scale = Number(process.env.FLOWS_PLAN_RUNS ?? "10000") / 10_000;
const FORMATTING_RUNS = Math.max(1, Math.round(10_000 * scale));
const CHANGE_RUNS = Math.max(1, Math.round(1_000 * scale));
/** About 8 s for the default counts on an idle 2-core machine; room for a loaded one. */
const TIMEOUT = 120_000 * Math.max(1, scale);

function exampleFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() && e.name !== "node_modules"
      ? exampleFiles(join(dir, e.name))
      : /\.ya?ml$/.test(e.name)
        ? [join(dir, e.name)]
        : [],
  );
}

const EXAMPLES = exampleFiles(join(ROOT, "examples"))
  .sort()
  .map((path) => {
    const text = readFileSync(path, "utf8");
    const file = path.slice(ROOT.length + 1);
    return { file, text, document: loadFlowSource(text, file).document as { [k: string]: Json } };
  });
const catalog = defaultCatalog();

/** A change of `kind` to the first example, from `first` on (round the list), that has something of that kind. */
function changeOfKind(kind: string, first: number, r: () => number, n: number) {
  for (let k = 0; k < EXAMPLES.length; k++) {
    const example = EXAMPLES[(first + k) % EXAMPLES.length]!;
    const change = realChangeOfKind(r, example.document, n, kind);
    if (change) return { example, change };
  }
  throw new Error(`no example has anything that a change of kind ${kind} changes`);
}

describe("flows plan properties over the examples", () => {
  it("reads every example", () => {
    expect(EXAMPLES.length).toBeGreaterThanOrEqual(10);
    for (const e of EXAMPLES) expect(e.document, e.file).toBeTypeOf("object");
  });

  it(
    `gives an empty plan for ${FORMATTING_RUNS} reformattings`,
    () => {
      fc.assert(
        fc.property(fc.nat(EXAMPLES.length - 1), fc.integer(), (which, seed) => {
          const example = EXAMPLES[which]!;
          const r = seededRandom(seed);
          const after = serialize(
            r,
            reformatDocument(r, example.document),
            example.file.replace(/\.ya?ml$/, ""),
          );
          const plan = planSources([example], [after], { catalog });
          if (plan.status !== "unchanged" || plan.problems.length > 0)
            throw new Error(
              `${JSON.stringify(plan.flows[0]?.changes ?? plan.problems, null, 2)}\n--- ${after.file}\n${after.text}`,
            );
        }),
        { numRuns: FORMATTING_RUNS },
      );
    },
    TIMEOUT,
  );

  it(
    `names the changed element for ${CHANGE_RUNS} single real changes, through a reformatting`,
    () => {
      const seen = new Set<string>();
      // The kind is drawn first, uniformly, and then an example it applies to: drawing an example first left the
      // kinds only a few examples allow (a queue trigger's name) unseen in about one run of a hundred.
      fc.assert(
        fc.property(
          fc.constantFrom(...CHANGE_KINDS),
          fc.nat(EXAMPLES.length - 1),
          fc.integer(),
          fc.nat(10_000),
          (kind, first, seed, n) => {
            const r = seededRandom(seed);
            const { example, change } = changeOfKind(kind, first, r, n);
            seen.add(change.what);
            const after = serialize(
              r,
              reformatDocument(r, change.document),
              example.file.replace(/\.ya?ml$/, ""),
            );
            const plan = planSources([example], [after], { catalog });
            const texts = plan.flows.flatMap((f) => f.changes.flatMap((c) => [c.subject, c.message]));
            if (
              plan.problems.length > 0 ||
              plan.status === "unchanged" ||
              !texts.some((t) => t.includes(change.names))
            )
              throw new Error(
                `${change.what}: no change names ${change.names}:\n${texts.join("\n")}\n--- ${after.file}\n${after.text}`,
              );
          },
        ),
        { numRuns: CHANGE_RUNS },
      );
      if (CHANGE_RUNS >= 1_000) expect([...seen].sort()).toEqual([...CHANGE_KINDS].sort());
    },
    TIMEOUT,
  );
});
