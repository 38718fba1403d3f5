/** Small helpers to write diagnostic messages. */

import { editDistance } from "../units/levenshtein.ts";

/** `name` in backticks. */
export const quote = (name: string): string => `\`${name}\``;

/** `a`, `b` and `c` → "`a`, `b`, `c`"; long lists are cut with "and N more". */
export function list(names: readonly string[], max = 12): string {
  const shown = names.slice(0, max).map(quote).join(", ");
  return names.length > max ? `${shown} and ${names.length - max} more` : shown;
}

/** "(its outputs: `a`, `b`)", or "(it has no outputs)". */
export const outputsText = (ports: readonly string[]): string =>
  ports.length ? `(its outputs: ${list(ports)})` : "(it has no outputs)";

/** 1204 → "1,204". */
export const count = (n: number): string => n.toLocaleString("en-US");

/** The JSON type of a value, for "it is a number" messages. */
export function typeName(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  if (typeof value === "string") return "a string";
  if (typeof value === "number") return Number.isInteger(value) ? "an integer" : "a number";
  if (typeof value === "boolean") return "a boolean";
  return typeof value;
}

/**
 * The candidate closest to `name` (case-insensitive edit distance), if it is close enough to be a likely typo.
 * @example closest("transfrom", ["transform", "merge"]) // "transform"
 */
export function closest(name: string, candidates: readonly string[]): string | undefined {
  const lower = name.toLowerCase();
  let best: string | undefined;
  let bestDistance = Math.max(1, Math.min(3, Math.floor(name.length / 3)));
  for (const c of candidates) {
    if (c === name) continue;
    // Lengths further apart than the best distance so far cannot be closer: skip the work.
    if (Math.abs(c.length - name.length) > bestDistance) continue;
    const d = c.toLowerCase() === lower ? 0 : editDistance(lower, c.toLowerCase());
    if (d <= bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}
