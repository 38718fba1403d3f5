import "../expr/cel-eager.ts";
import { canonicalExpression, type NodeRenames } from "../expr/canonical.ts";
import { bareExpression, splitTemplate } from "../expr/split.ts";
import type { Json } from "../ir/types.ts";

/**
 * Canonical values: what is left of a flow's values once formatting is gone. Keys are sorted, expressions are
 * printed by CEL (`canonicalExpression`), and references to renamed nodes carry their new names, so that two
 * values are the same change-wise exactly when their canonical JSON is equal.
 */

/** A node reference found while canonicalising: `nodes.<node>.<port>` (port undefined for `nodes.<node>`). */
export interface FoundReference {
  node: string;
  port: string | undefined;
}

/** Where canonicalisation records the references it finds, and the renames it applies. */
export interface CanonContext {
  readonly renames: NodeRenames | undefined;
  readonly references: FoundReference[];
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

function expression(source: string, ctx: CanonContext): string {
  const canonical = canonicalExpression(source, ctx.renames);
  for (const r of canonical.references) ctx.references.push({ node: r.node, port: r.port });
  return canonical.text;
}

/** A string value: literal text as it is, each `${{ }}` printed canonically. */
function templateString(text: string, ctx: CanonContext): string {
  if (!text.includes("${{")) return text;
  let out = "";
  for (const part of splitTemplate(text)) {
    if (part.type === "text") out += part.text.replaceAll("${{", "$${{");
    else if (part.type === "expr") out += `\${{ ${expression(part.source, ctx)} }}`;
    // An unclosed `${{` ends the scan: the rest is kept as written.
    else out += text.slice(part.open);
  }
  return out;
}

/** Any JSON value whose strings may hold `${{ }}` (node inputs, evaluated config), keys sorted. */
export function canonicalTemplate(value: unknown, ctx: CanonContext): Json {
  if (typeof value === "string") return templateString(value, ctx);
  if (Array.isArray(value)) return value.map((v) => canonicalTemplate(v, ctx));
  if (isRecord(value)) {
    const out: Record<string, Json> = {};
    for (const key of Object.keys(value).sort()) out[key] = canonicalTemplate(value[key], ctx);
    return out;
  }
  return canonicalJson(value);
}

/** A bare expression field (`when`, `idempotencyKey`): the same with or without `${{ }}` around it. */
export function canonicalBare(text: unknown, ctx: CanonContext): string | null {
  if (typeof text !== "string") return null;
  return expression(bareExpression(text).source, ctx);
}

/** An evaluated config field: strings under a key named `when` are bare conditions, the others templates. */
export function canonicalEvaluated(value: unknown, key: string, ctx: CanonContext): Json {
  if (typeof value === "string")
    return key === "when" ? (canonicalBare(value, ctx) ?? "") : templateString(value, ctx);
  if (Array.isArray(value)) return value.map((v) => canonicalEvaluated(v, key, ctx));
  if (isRecord(value)) {
    const out: Record<string, Json> = {};
    for (const k of Object.keys(value).sort()) out[k] = canonicalEvaluated(value[k], k, ctx);
    return out;
  }
  return canonicalJson(value);
}

/** Plain JSON with sorted keys (static config, bindings); anything that is not JSON becomes null. */
export function canonicalJson(value: unknown): Json {
  if (value === null || typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value === "number") return Number.isFinite(value) ? value : null;
  if (Array.isArray(value)) return value.map(canonicalJson);
  if (isRecord(value)) {
    const out: Record<string, Json> = {};
    for (const key of Object.keys(value).sort()) out[key] = canonicalJson(value[key]);
    return out;
  }
  return null;
}

/** Equality of canonical values (their keys are sorted, so their JSON text compares them). */
export const sameJson = (a: Json | undefined, b: Json | undefined): boolean =>
  JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
