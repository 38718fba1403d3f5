import { type RunHandle, StartedRun } from "./handle.ts";
import type { ExecutionPlan } from "./plan.ts";
import type { RunResult } from "./result.ts";
import type { RunOptions } from "./run-config.ts";

/**
 * The kernel's one entry for running a plan: whatever a host answers with (JSON, a streamed body, Server-Sent
 * Events), it starts the run here and reads what it needs from the handle: the output as soon as it exists, the
 * result at the end, the events as they happen.
 */

export type { RunHandle, RunOutput } from "./handle.ts";
export { DEFAULT_GRACE_MS, type RunOptions } from "./run-config.ts";
export { newRunId } from "./run-id.ts";

/**
 * Starts a run and returns a handle: its output as soon as it exists, its result, its events (recorded from the
 * start when read in this turn, or with `onEvent`), and `cancel`.
 * @example
 * const run = startRun(plan, { trigger, signal: request.signal })
 * const { value, stream } = await run.output // answer now when it is a stream
 * const result = await run.result
 */
export function startRun(plan: ExecutionPlan, options: RunOptions = {}): RunHandle {
  return new StartedRun(plan, options);
}

/**
 * Runs a plan to the end: `startRun(plan, options).result`. Never rejects: a failure, a cancel or a deadline is a
 * status with an error.
 * @example
 * const result = await runFlow(createPlan(doc), { trigger: { body }, signal: request.signal, env })
 * if (result.status !== "ok") return Response.json(toEnvelope(result.error, result.runId), { status: result.error?.status })
 */
export function runFlow(plan: ExecutionPlan, options: RunOptions = {}): Promise<RunResult> {
  return new StartedRun(plan, options, false).result;
}
