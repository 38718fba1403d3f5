import { BUILTIN_CAPABILITY_REGISTRY } from "../capabilities/declarations.ts";
import type { KindCatalog, NodeKindSpec } from "../flows/kinds/spec.ts";
import { BUILTIN_KIND_SPECS } from "../kernel/kinds/specs.ts";

/**
 * The built-in catalogs of node kinds, in order: the kernel's kinds and the built-in capabilities' (from their
 * registry). The build (`cli/build/main.ts`) compiles the config schemas of every kind listed. A project's
 * capability packages are added by `loadProject()` (cli/project.ts), not here.
 */
export const CATALOGS: readonly KindCatalog[] = [BUILTIN_KIND_SPECS, BUILTIN_CAPABILITY_REGISTRY.catalog];

/**
 * The built-in catalog (the build, and tests): all of `CATALOGS` merged. Throws when two catalogs
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
