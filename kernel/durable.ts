import { DURABLE_LIMITS } from "../flows/ir/durable.ts";
import type { NodeCtx } from "./context.ts";
import { AttemptGuard } from "./context.ts";
import { FlowError } from "./errors.ts";
import type { RetrySettings } from "./retry.ts";
import { callRun, normaliseOutputs, type Outputs, type StepSuccess, streamPorts } from "./step.ts";
import type { Timers } from "./time.ts";

/**
 * Durable runs: a run given a `StepEngine` (Cloudflare Workflows' `step`, or the in-process stand-in) runs each
 * journaled node (an effect, or determinism below `stable`) as one engine step named by its step key, and lets the
 * engine retry it per the node's policy and replay its recorded outputs when the run is resumed. Pure
 * deterministic nodes are recomputed on every replay. `sleep` and `wait` make their own engine steps
 * (`NodeContext.steps`). See impl-docs/durable.md.
 */

/** The largest step output the kernel hands an engine (Workflows persists at most 1 MiB per step). */
export const MAX_STEP_OUTPUT_BYTES = DURABLE_LIMITS.stepOutputBytes;

/** How one durable step is retried and timed: the node's resolved policy and the timeout of one attempt. */
export interface DurableStepConfig {
  readonly retry: RetrySettings;
  /** Undefined: no timeout. */
  readonly timeoutMs: number | undefined;
}

/** An event delivered to a waiting run. */
export interface DurableEvent {
  readonly type: string;
  readonly payload: unknown;
  /** When it was received, in ms since the epoch. */
  readonly timestamp: number;
}

/**
 * What a durable engine offers a run. Names are the kernel's step keys (`fetch#1`, `each.node#3`), unique in a
 * run and stable across replays. Every method may be called concurrently for different names.
 */
export interface StepEngine {
  /**
   * Runs `work` as the step `name` unless it already completed (then resolves to its recorded outputs without
   * calling it), retrying per `config` an attempt that throws a retriable error (`isRetriable`). Rejects with the
   * last error once attempts are spent.
   */
  do(name: string, config: DurableStepConfig, work: () => Promise<Outputs>): Promise<Outputs>;
  /** Resolves once `ms` have passed since the step first started (a replay after that resolves at once). */
  sleep(name: string, ms: number): Promise<void>;
  /** Resolves at `timestamp` (ms since the epoch), at once if it is past. */
  sleepUntil(name: string, timestamp: number): Promise<void>;
  /**
   * Resolves with the first event of `type` sent to this run, or rejects with a `WAIT_TIMEOUT` FlowError once
   * `timeoutMs` have passed without one.
   */
  waitForEvent(name: string, options: { type: string; timeoutMs: number }): Promise<DurableEvent>;
}

/** What a durable step needs from its run (implemented by `Run`). */
export interface DurableHost {
  readonly config: { readonly timers: Timers; readonly graceMs: number };
  retried(ctx: NodeCtx, delayMs: number, error: unknown): void;
}

/**
 * Runs node `first`'s work as engine step `first.stepKey`: one attempt per call of the engine's callback (a fresh
 * context each time, under the node's timeout), `wrap` around it (the idempotency ledger). Resolves like
 * `runAttempts`, `replayed` when the engine answered from its record without calling back.
 */
export async function runDurableStep(
  engine: StepEngine,
  host: DurableHost,
  first: NodeCtx,
  wrap?: (attempt: () => Promise<StepSuccess>) => Promise<StepSuccess>,
): Promise<StepSuccess> {
  let attempt = 0;
  let lastError: unknown;
  const once = async (): Promise<StepSuccess> => {
    attempt++;
    const ctx = attempt === 1 ? first : first.forAttempt(attempt);
    if (attempt > 1) host.retried(ctx, 0, lastError);
    const guard = new AttemptGuard(ctx, host.config.timers, host.config.graceMs);
    try {
      const outputs = normaliseOutputs(await guard.wait(callRun(ctx)));
      return { outputs, attempts: attempt, ctx, replayed: false };
    } catch (error) {
      ctx.abort(error);
      lastError = error;
      throw error;
    } finally {
      guard.release();
    }
  };
  const work = async (): Promise<Outputs> => {
    const success = await (wrap ? wrap(once) : once());
    return checkStepOutputs(first.nodeId, success.outputs);
  };
  const config: DurableStepConfig = { retry: first.step.retry, timeoutMs: first.step.timeoutMs };
  const outputs = await engine.do(first.stepKey, config, work);
  return { outputs, attempts: Math.max(attempt, 1), ctx: undefined, replayed: attempt === 0 };
}

/**
 * A step's outputs as an engine stores them: JSON-like values within MAX_STEP_OUTPUT_BYTES. A stream cannot be
 * recorded (the validator refuses stream ports in durable flows: FLOW_DURABLE_STREAM); an output too large fails
 * without retry, saying where to put it instead.
 */
export function checkStepOutputs(nodeId: string, outputs: Outputs): Outputs {
  const streams = streamPorts(outputs);
  if (streams) {
    throw new FlowError(
      "DURABLE_STEP_STREAM",
      `node \`${nodeId}\` produced a stream on port \`${streams[0]}\`: a durable step's outputs must be values`,
      { nodeId, details: { nodeId, port: streams[0] } },
    );
  }
  let size: number;
  try {
    size = new TextEncoder().encode(JSON.stringify(outputs) ?? "").byteLength;
  } catch (cause) {
    throw new FlowError("DURABLE_STEP_OUTPUT", `node \`${nodeId}\`'s outputs cannot be stored as JSON`, {
      nodeId,
      details: { nodeId },
      cause,
    });
  }
  if (size > MAX_STEP_OUTPUT_BYTES) {
    throw new FlowError(
      "DURABLE_STEP_TOO_LARGE",
      `node \`${nodeId}\`'s outputs are ${size} bytes; a durable step stores at most ${MAX_STEP_OUTPUT_BYTES}: write large values to R2 or KV and pass their key`,
      { nodeId, details: { nodeId, bytes: size, limit: MAX_STEP_OUTPUT_BYTES } },
    );
  }
  return outputs;
}
