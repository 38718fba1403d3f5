import type { Determinism, Effect } from "../ir/types.ts";
import type { NodeKindSpec } from "../kinds/spec.ts";
import type { FlowCheck } from "./context.ts";

/** From strongest to weakest. */
export const DETERMINISM_ORDER: readonly Determinism[] = [
  "strict",
  "stable",
  "best_effort",
  "nondeterministic",
];
/** From weakest to strongest. */
export const EFFECT_ORDER: readonly Effect[] = ["pure", "read", "write", "external"];

/** The stronger of two effects. */
export function stronger(a: Effect, b: Effect): Effect {
  return EFFECT_ORDER.indexOf(a) >= EFFECT_ORDER.indexOf(b) ? a : b;
}

/** The effect of node `i`: its kind's, or its map template's when that is stronger. */
export function nodeEffect(check: FlowCheck, i: number): Effect | undefined {
  const spec = check.specs[i];
  if (!spec) return undefined;
  let effect = spec.effect;
  for (const t of check.templates.get(i) ?? []) effect = stronger(effect, t.spec.effect);
  return effect;
}

/** The weaker of two determinism levels. */
export function weaker(a: Determinism, b: Determinism): Determinism {
  return DETERMINISM_ORDER.indexOf(a) >= DETERMINISM_ORDER.indexOf(b) ? a : b;
}

/**
 * A node kind's determinism: its own, and at most `best_effort` when it writes or has an external effect
 * (re-running it acts on the world again); the kernel's `flowDeterminism` follows the same rule.
 */
export function nodeDeterminism(spec: NodeKindSpec): Determinism {
  return spec.effect === "write" || spec.effect === "external"
    ? weaker(spec.determinism, "best_effort")
    : spec.determinism;
}

/**
 * The flow's determinism (the weakest of its nodes and map templates: strict > stable > best_effort >
 * nondeterministic) and the effects they have.
 * Nodes of unknown kinds do not count (they are errors anyway).
 */
export function summarize(check: FlowCheck): { determinism: Determinism; effects: Effect[] } {
  let determinism: Determinism = "strict";
  const effects = new Set<Effect>();
  const add = (spec: NodeKindSpec | undefined): void => {
    if (!spec) return;
    determinism = weaker(determinism, nodeDeterminism(spec));
    effects.add(spec.effect);
  };
  check.specs.forEach((spec, i) => {
    add(spec);
    for (const t of check.templates.get(i) ?? []) add(t.spec);
  });
  return { determinism, effects: EFFECT_ORDER.filter((e) => effects.has(e)) };
}
