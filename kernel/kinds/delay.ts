import { BUILTIN_KIND_SPECS, KIND_DELAY } from "./specs.ts";
import type { NodeKind } from "./types.ts";

/** `delay`: waits `config.duration` on the node's signal (a cancel or timeout ends the wait), then emits `value`. */
export const delayKind: NodeKind = {
  spec: BUILTIN_KIND_SPECS[KIND_DELAY]!,
  prepare: (config, compiler) => compiler.duration(String(config.duration), "config.duration"),
  run: async (ctx) => {
    await ctx.sleep(ctx.prepared as number);
    return { out: "value" in ctx.inputs ? ctx.inputs.value : null };
  },
};
