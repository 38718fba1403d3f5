import { BUILTIN_KIND_SPECS, KIND_MERGE } from "./specs.ts";
import type { NodeKind } from "./types.ts";

/**
 * `merge`: a join. It runs once every source has ended, even if some were skipped, and sees only the inputs
 * whose sources produced a value (it is skipped when none did). `mode: all` (default): `out` is the object
 * of those inputs; `mode: first`: the first of them, in declaration order.
 */
export const mergeKind: NodeKind = {
  spec: BUILTIN_KIND_SPECS[KIND_MERGE]!,
  run: (ctx) => {
    if (ctx.config.mode !== "first") return { out: ctx.inputs };
    for (const name in ctx.inputs) return { out: ctx.inputs[name] };
    return {};
  },
};
