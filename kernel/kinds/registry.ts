import type { KindCatalog, NodeKindSpec } from "../../flows/kinds/spec.ts";
import { editDistance } from "../../flows/units/levenshtein.ts";
import { FlowError } from "../errors.ts";
import type { KindRegistry, NodeKind } from "./types.ts";

/**
 * Builds a frozen registry from kinds (or other registries, merged in order). Two kinds with one name are an
 * error: a capability cannot silently replace a built-in.
 * @example const registry = createRegistry(BUILTIN_KINDS, kvKinds)
 */
export function createRegistry(...sources: readonly (NodeKind | KindRegistry)[]): KindRegistry {
  const out: Record<string, NodeKind> = {};
  const add = (kind: NodeKind): void => {
    const name = kind.spec.kind;
    if (Object.hasOwn(out, name)) {
      throw new FlowError("PLAN_INVALID", `node kind \`${name}\` is registered twice`, {
        details: { kind: name },
      });
    }
    out[name] = kind;
  };
  for (const source of sources) {
    if (isNodeKind(source)) add(source);
    else for (const kind of Object.values(source)) add(kind);
  }
  return Object.freeze(out);
}

const isNodeKind = (value: NodeKind | KindRegistry): value is NodeKind =>
  typeof (value as NodeKind).run === "function" && typeof (value as NodeKind).spec === "object";

/**
 * The kind of this name, or a FlowError `UNKNOWN_KIND` that lists the known kinds, closest names first.
 * @example lookupKind(registry, "transfrom") // FlowError [UNKNOWN_KIND]: unknown node kind `transfrom`; did you mean `transform`? Known kinds: transform, …
 */
export function lookupKind(registry: KindRegistry, name: string): NodeKind {
  const kind = Object.hasOwn(registry, name) ? registry[name] : undefined;
  if (kind) return kind;
  const known = closestFirst(name, Object.keys(registry));
  const hint =
    known[0] !== undefined && editDistance(name, known[0]) <= 2 ? `; did you mean \`${known[0]}\`?` : ".";
  throw new FlowError(
    "UNKNOWN_KIND",
    `unknown node kind \`${name}\`${hint} Known kinds: ${known.join(", ")}.`,
    {
      details: { kind: name, known },
    },
  );
}

/** The specs of a registry, as the catalog the validator and packager read. */
export function catalogOf(registry: KindRegistry): KindCatalog {
  const out: Record<string, NodeKindSpec> = {};
  for (const [name, kind] of Object.entries(registry)) out[name] = kind.spec;
  return Object.freeze(out);
}

/** Names sorted by edit distance to `name`, then alphabetically. */
export function closestFirst(name: string, names: readonly string[]): string[] {
  return names
    .map((n) => ({ n, d: editDistance(name, n) }))
    .sort((a, b) => a.d - b.d || (a.n < b.n ? -1 : a.n > b.n ? 1 : 0))
    .map((x) => x.n);
}
