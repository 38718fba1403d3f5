import type { FlowDocument, Json } from "../../../flows/ir/types.ts";
import type { DurableObjectsFragment } from "../../durable-objects/declaration.ts";
import { GITHUB_DEFAULTS, GITHUB_KIND_SPECS } from "../declaration.ts";

/**
 * The shared GitHub rate budget's pure half: its class, the bindings a set of flows needs, and the wrangler
 * entries the packager adds (`cli/package`). No I/O, no `cloudflare:workers`: it loads in Node too.
 */

/** The Durable Object class of the budget, exported by every packaged Worker that calls GitHub's REST API. */
export const BUDGET_CLASS = "FlowsGitHubBudget";
/**
 * The migration tag that creates the class in a new config (merged with the other `v1` classes there); a user's
 * config with migrations of its own gets a new tag for it (`cli/package/user-config.ts`).
 */
export const BUDGET_MIGRATION_TAG = "v1";
/** Durable Object calls one REST call makes through the budget, at most: a take, and the report of the last call. */
export const BUDGET_SUBREQUESTS = 2;

function* nodesOf(nodes: readonly { kind: string; config?: Record<string, Json> }[]): Generator<{
  kind: string;
  config?: Record<string, Json>;
}> {
  for (const node of nodes) {
    yield node;
    const template = node.config?.node;
    if (
      template &&
      typeof template === "object" &&
      !Array.isArray(template) &&
      typeof template.kind === "string"
    )
      yield* nodesOf([template as { kind: string; config?: Record<string, Json> }]);
  }
}

/**
 * The budget binding a node uses: `config.budget` (a binding name), `GITHUB_BUDGET` by default, or undefined for
 * a node that is not a GitHub REST kind or says `budget: false`.
 */
export function budgetBindingOf(node: { kind: string; config?: Record<string, Json> }): string | undefined {
  if (!Object.hasOwn(GITHUB_KIND_SPECS, node.kind)) return undefined;
  const budget = node.config?.budget;
  if (budget === false) return undefined;
  return typeof budget === "string" && budget !== "" ? budget : GITHUB_DEFAULTS.budgetBinding;
}

/** The budget bindings the flows' GitHub nodes use (map templates included), sorted, each once. */
export function budgetBindings(documents: readonly FlowDocument[]): string[] {
  const names = new Set<string>();
  for (const doc of documents) {
    for (const node of nodesOf(doc.nodes)) {
      const name = budgetBindingOf(node);
      if (name !== undefined) names.add(name);
    }
  }
  return [...names].sort();
}

/**
 * The wrangler entries of the budget: one `[[durable_objects.bindings]]` per binding name, of class
 * `FlowsGitHubBudget`, and the migration that creates the class (SQLite-backed).
 * @example budgetWrangler(["GITHUB_BUDGET"]) // { durable_objects: { bindings: [{ name: "GITHUB_BUDGET", class_name: "FlowsGitHubBudget" }] }, migrations: [{ tag: "v1", new_sqlite_classes: ["FlowsGitHubBudget"] }] }
 */
export function budgetWrangler(names: readonly string[]): DurableObjectsFragment {
  if (names.length === 0) return {};
  return {
    durable_objects: { bindings: names.map((name) => ({ name, class_name: BUDGET_CLASS })) },
    migrations: [{ tag: BUDGET_MIGRATION_TAG, new_sqlite_classes: [BUDGET_CLASS] }],
  };
}
