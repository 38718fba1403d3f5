import { BUILTIN_KIND_SPECS, KIND_LOG } from "./specs.ts";
import type { LogLevel, NodeKind } from "./types.ts";

/** `log`: one structured log line (`message`, `data`) at `config.level` (default info); `out` is `data`. */
export const logKind: NodeKind = {
  spec: BUILTIN_KIND_SPECS[KIND_LOG]!,
  run: (ctx) => {
    const level = (ctx.config.level as LogLevel | undefined) ?? "info";
    const data = "data" in ctx.inputs ? ctx.inputs.data : null;
    ctx.log(level, String(ctx.inputs.message), data);
    return { out: data };
  },
};
