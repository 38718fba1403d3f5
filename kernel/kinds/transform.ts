import { BUILTIN_KIND_SPECS, KIND_TRANSFORM } from "./specs.ts";
import type { NodeKind } from "./types.ts";

/**
 * `transform`: `out` is `config.value` (a template evaluated with `input` in scope) or, without it, the object
 * of its inputs. Synchronous: a transform costs no promise.
 */
export const transformKind: NodeKind = {
  spec: BUILTIN_KIND_SPECS[KIND_TRANSFORM]!,
  run: (ctx) => ({ out: "value" in ctx.config ? ctx.config.value : ctx.inputs }),
};
