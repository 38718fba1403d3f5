import { BUILTIN_KIND_SPECS, KIND_RESPOND } from "./specs.ts";
import type { NodeKind } from "./types.ts";

/** `respond`: the run's answer, `out` = `{ status, headers, body }` (status 200, no headers, body null by default). */
export const respondKind: NodeKind = {
  spec: BUILTIN_KIND_SPECS[KIND_RESPOND]!,
  run: (ctx) => ({
    out: {
      status: ctx.inputs.status ?? 200,
      headers: ctx.inputs.headers ?? {},
      body: "body" in ctx.inputs ? ctx.inputs.body : null,
    },
  }),
};
