import { FlowError, isFlowError } from "../errors.ts";
import { BUILTIN_KIND_SPECS, KIND_WAIT } from "./specs.ts";
import type { NodeKind } from "./types.ts";

/** A wait's timeout when `config.timeout` is absent: Workflows' own default for `waitForEvent`. */
export const DEFAULT_WAIT_TIMEOUT = "24h";

interface Prepared {
  event: string;
  timeoutMs: number;
  timeoutPort: boolean;
}

/**
 * `wait`: the run waits for an event of one type (`steps.waitForEvent` under the node's step key); its payload is
 * `out`. Only a durable run has an engine to wait with (the validator refuses `wait` elsewhere: FLOW_WAIT_NOT_DURABLE).
 */
export const waitKind: NodeKind = {
  spec: BUILTIN_KIND_SPECS[KIND_WAIT]!,
  prepare: (config, compiler): Prepared => ({
    event: String(config.event),
    timeoutMs: compiler.duration(String(config.timeout ?? DEFAULT_WAIT_TIMEOUT), "config.timeout"),
    timeoutPort: config.onTimeout === "port",
  }),
  run: async (ctx) => {
    const { event, timeoutMs, timeoutPort } = ctx.prepared as Prepared;
    if (!ctx.steps) {
      throw new FlowError(
        "WAIT_NOT_DURABLE",
        `node \`${ctx.nodeId}\` waits for an event, which only a durable flow can do (set \`durable: true\`)`,
        { nodeId: ctx.nodeId, details: { nodeId: ctx.nodeId } },
      );
    }
    try {
      const received = await ctx.steps.waitForEvent(ctx.stepKey, { type: event, timeoutMs });
      return { out: received.payload };
    } catch (error) {
      if (timeoutPort && isFlowError(error, "WAIT_TIMEOUT")) return { timeout: { event, timeoutMs } };
      throw error;
    }
  },
};
