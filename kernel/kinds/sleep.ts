import type { CompiledValue } from "../../flows/expr/index.ts";
import { FlowError } from "../errors.ts";
import { BUILTIN_KIND_SPECS, KIND_SLEEP } from "./specs.ts";
import type { NodeContext, NodeKind } from "./types.ts";

/** `config.duration` in ms, or `config.until` compiled (an expression giving a timestamp). */
type Prepared = { ms: number; until?: undefined } | { ms?: undefined; until: CompiledValue };

/**
 * `sleep`: in a durable run, a durable sleep (`steps.sleep` / `steps.sleepUntil` under the node's step key: a
 * replay after it has passed goes straight on); elsewhere a cancellable sleep on the node's signal.
 */
export const sleepKind: NodeKind = {
  spec: BUILTIN_KIND_SPECS[KIND_SLEEP]!,
  prepare: (config, compiler): Prepared =>
    config.duration !== undefined
      ? { ms: compiler.duration(String(config.duration), "config.duration") }
      : { until: compiler.value(config.until ?? null, "config.until") },
  run: async (ctx) => {
    const prepared = ctx.prepared as Prepared;
    const steps = ctx.steps;
    if (prepared.until === undefined) {
      if (steps) await steps.sleep(ctx.stepKey, prepared.ms);
      else await ctx.sleep(prepared.ms);
    } else {
      const at = timestampOf(ctx, ctx.evaluate(prepared.until));
      if (steps) await steps.sleepUntil(ctx.stepKey, at);
      else await ctx.sleep(Math.max(0, at - ctx.clock.now()));
    }
    return { out: "value" in ctx.inputs ? ctx.inputs.value : null };
  },
};

/** Epoch ms from an RFC 3339 string or a number; anything else is NODE_INPUT_INVALID. */
function timestampOf(ctx: NodeContext, value: unknown): number {
  const ms = typeof value === "number" ? value : typeof value === "string" ? Date.parse(value) : Number.NaN;
  if (Number.isFinite(ms)) return ms;
  throw new FlowError(
    "NODE_INPUT_INVALID",
    `node \`${ctx.nodeId}\` config.until must be an RFC 3339 timestamp or epoch milliseconds, got ${JSON.stringify(value)}`,
    { nodeId: ctx.nodeId, details: { nodeId: ctx.nodeId, path: "config.until" } },
  );
}
