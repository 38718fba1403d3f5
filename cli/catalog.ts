import { CAPABILITY_CATALOGS } from "../capabilities/declarations.ts";
import type { KindCatalog, NodeKindSpec } from "../flows/kinds/spec.ts";
import { BUILTIN_KIND_SPECS } from "../kernel/kinds/specs.ts";

/**
 * Every catalog of node kinds the CLI knows, in order. Add a capability's catalog here: the build
 * (`cli/build/main.ts`) compiles the config schemas of every kind listed, and `defaultCatalog()` merges them.
 */
export const CATALOGS: readonly KindCatalog[] = [BUILTIN_KIND_SPECS, ...CAPABILITY_CATALOGS];

/**
 * The catalog used by `flows validate` and the build: all of `CATALOGS` merged. Throws when two catalogs
 * declare the same kind name.
 * @example validateFlows(sources, defaultCatalog())
 */
export function defaultCatalog(): KindCatalog {
  const merged: Record<string, NodeKindSpec> = {};
  for (const catalog of CATALOGS) {
    for (const [kind, spec] of Object.entries(catalog)) {
      if (Object.hasOwn(merged, kind)) throw new Error(`node kind \`${kind}\` is declared by two catalogs`);
      merged[kind] = spec;
    }
  }
  return Object.freeze(merged);
}
