import { BUILTIN_KIND_SPECS, KIND_SUBFLOW } from "./specs.ts";
import type { NodeKind } from "./types.ts";

/** `subflow`: runs flow `config.flow` with input `input` as its trigger; `out` is that flow's output. */
export const subflowKind: NodeKind = {
  spec: BUILTIN_KIND_SPECS[KIND_SUBFLOW]!,
  run: async (ctx) => ({ out: await ctx.runSubflow(String(ctx.config.flow), ctx.inputs.input ?? null) }),
};
