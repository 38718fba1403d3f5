import { AttemptGuard, NodeCtx } from "./context.ts";
import { describeCause, FlowError, toEnvelope, toFlowError } from "./errors.ts";
import { evaluateConfig, evaluateIdempotencyKey, evaluateInputs, evaluateWhen } from "./evaluate.ts";
import type { SkipReason } from "./events.ts";
import { type LedgerUse, withLedger } from "./ledger.ts";
import { DONE, FAILED, RUNNING, SKIPPED, STREAMING } from "./node-table.ts";
import type { PlannedNode } from "./plan.ts";
import type { Run } from "./run.ts";
import type { Outputs, StepSuccess } from "./step.ts";
import * as steps from "./step.ts";

/**
 * The life of one graph node inside a run: skip checks, `when`, input evaluation, the synchronous first
 * attempt, the asynchronous rest, streaming, and what its end releases. The run (`run.ts`) owns the queue.
 */

const isThenable = (value: unknown): value is PromiseLike<unknown> =>
  typeof value === "object" && value !== null && typeof (value as PromiseLike<unknown>).then === "function";

/** The run's output value of an output node: its `out` port when it has one, else all its ports. */
export const outputValue = (outputs: Outputs): unknown => ("out" in outputs ? outputs.out : outputs);

/** Starts node `i`, whose sources have all settled: it is skipped, fails, or runs. */
export function startNode(run: Run, i: number): void {
  const node = run.plan.nodes[i]!;
  const available = node.join ? run.table.joinAvailability(node) : undefined;
  const skip = node.join ? (available ? undefined : "dependency") : run.table.skipReason(node);
  if (skip) {
    skipNode(run, i, skip);
    return;
  }
  if (node.when) {
    let holds: boolean;
    try {
      holds = evaluateWhen(node, run.scope);
    } catch (error) {
      begin(run, i);
      failed(run, i, error);
      return;
    }
    if (!holds) {
      skipNode(run, i, "when");
      return;
    }
  }
  begin(run, i);
  let inputs: Outputs;
  let config: Outputs;
  let key: string | undefined;
  try {
    inputs = evaluateInputs(node, run.scope, available);
    config = evaluateConfig(node, run.scope, inputs);
    key = evaluateIdempotencyKey(node, run.scope, inputs);
  } catch (error) {
    failed(run, i, error);
    return;
  }
  execute(run, i, node, inputs, config, key);
}

/**
 * Runs the first attempt synchronously; anything asynchronous (a promise, a retry, the journal) goes on as a
 * promise. The synchronous path allocates no closure (the asynchronous ones live in other functions).
 */
function execute(
  run: Run,
  i: number,
  node: PlannedNode,
  inputs: Outputs,
  config: Outputs,
  key: string | undefined,
): void {
  const step = run.stepKey(node);
  const ctx = new NodeCtx(run, node, step, 1, inputs, config, key, run.scope, run);
  const ledgered = key !== undefined && run.config.ledger !== undefined && isEffectful(node);
  if (ledgered || (run.config.journal && node.journaled)) {
    runGuarded(run, i, ctx, ledgered);
    return;
  }
  let result: unknown;
  try {
    result = node.kind.run(ctx);
  } catch (error) {
    continueAsync(run, i, ctx, Promise.reject(error));
    return;
  }
  if (isThenable(result)) {
    continueAsync(run, i, ctx, Promise.resolve(result) as Promise<never>);
    return;
  }
  completed(run, i, steps.normaliseOutputs(result as Outputs), 1, ctx, undefined, false);
}

/** Contexts for the attempts after the first. */
const contextsLike =
  (run: Run, first: NodeCtx) =>
  (attempt: number): NodeCtx =>
    new NodeCtx(
      run,
      first.step,
      first.stepKey,
      attempt,
      first.inputs,
      first.config,
      first.idempotencyKey,
      first.scope,
      run,
    );

/** The first attempt went asynchronous (or threw): it and any retries go on as a promise. */
function continueAsync(run: Run, i: number, ctx: NodeCtx, result: Promise<never>): void {
  runAsync(run, i, steps.runAttempts(run, contextsLike(run, ctx), { ctx, result }));
}

const isEffectful = (node: PlannedNode): boolean => node.effect === "write" || node.effect === "external";

/**
 * A journaled or ledgered step: replayed from the journal, else claimed in the idempotency ledger (done:
 * replayed from it), else run (all attempts) and recorded in both.
 */
function runGuarded(run: Run, i: number, ctx: NodeCtx, ledgered: boolean): void {
  const config = run.config;
  let work = (): Promise<StepSuccess> => steps.runAttempts(run, contextsLike(run, ctx));
  if (ledgered) {
    const attempts = work;
    const use: LedgerUse = {
      ledger: config.ledger!,
      key: `${run.flowId}:${ctx.nodeId}:${ctx.idempotencyKey}`,
      ttlMs: config.ledgerTtlMs,
      leaseMs: run.deadlineMs + config.graceMs,
      onCompleteFailed: (error) =>
        config.logger.log("warn", "could not complete an idempotency key; it will expire", {
          runId: run.runId,
          nodeId: ctx.nodeId,
          error: describeCause(error),
        }),
    };
    work = () => withLedger(use, attempts);
  }
  const journal = config.journal;
  if (journal && ctx.step.journaled) {
    const now = (): number => config.clock.now();
    runAsync(run, i, steps.withJournal(journal, ctx.stepKey, now, work));
  } else runAsync(run, i, work());
}

function begin(run: Run, i: number): void {
  run.table.state[i] = RUNNING;
  run.table.started(i, run.now);
  const node = run.plan.nodes[i]!;
  if (run.listening) {
    run.emit({ type: "node.start", nodeId: node.id, kind: node.kindName, stepKey: run.stepKey(node) });
  }
}

function runAsync(run: Run, i: number, work: Promise<StepSuccess>): void {
  run.busy();
  work.then(
    (s) => run.settled(() => completed(run, i, s.outputs, s.attempts, s.ctx, s.guard, s.replayed)),
    (error) => run.settled(() => failed(run, i, error)),
  );
}

/** Node `i` produced its outputs (from `ctx`, or replayed from the journal when `ctx` is undefined). */
function completed(
  run: Run,
  i: number,
  outputs: Outputs,
  attempts: number,
  ctx: NodeCtx | undefined,
  guard: AttemptGuard | undefined,
  replayed: boolean,
): void {
  run.table.attempts[i] = attempts;
  const ports = ctx ? steps.streamPorts(outputs) : undefined;
  if (!ports || !ctx) {
    guard?.release();
    outputReady(run, i, outputs, replayed);
    ended(run, i);
    return;
  }
  streamOutputs(run, i, outputs, ports, ctx, guard);
}

/**
 * Streaming: dependants start now, with ChunkStreams; the node ends when its streams do, still under its
 * timeout and signal.
 */
function streamOutputs(
  run: Run,
  i: number,
  outputs: Outputs,
  ports: string[],
  ctx: NodeCtx,
  guard: AttemptGuard | undefined,
): void {
  const streamGuard = guard ?? new AttemptGuard(ctx, run.config.timers, run.config.graceMs);
  const nodeId = run.plan.nodes[i]!.id;
  const onChunk = (port: string, chunk: unknown, index: number): void =>
    run.emitChunk(nodeId, port, index, chunk);
  const pumped = steps.pumpStreams(outputs, ports, ctx.signal, onChunk, nodeId);
  run.table.state[i] = STREAMING;
  run.busy();
  outputReady(run, i, pumped.outputs, false);
  const settle = (then: () => void): void => {
    streamGuard.release();
    run.settled(then);
  };
  pumped.done.then(
    () => settle(() => ended(run, i)),
    (error) => settle(() => failed(run, i, error)),
  );
}

function outputReady(run: Run, i: number, outputs: Outputs, replayed: boolean): void {
  const node = run.plan.nodes[i]!;
  run.table.outputs[i] = outputs;
  run.scope.nodes[node.id] = outputs;
  if (run.listening)
    run.emit({ type: "node.output", nodeId: node.id, outputs, ...(replayed && { replayed }) });
  if (node.isOutput && run.outputIndex < 0) {
    run.outputIndex = i;
    run.outputReady(outputValue(outputs));
  }
  run.release(node.releaseAtOutput);
}

function ended(run: Run, i: number): void {
  const node = run.plan.nodes[i]!;
  run.table.state[i] = DONE;
  run.table.ended(i, run.now);
  if (run.listening) {
    const durationMs = run.table.since(i, run.now);
    run.emit({ type: "node.end", nodeId: node.id, attempts: run.table.attempts[i]!, durationMs });
  }
  run.release(node.releaseAtEnd);
}

function skipNode(run: Run, i: number, reason: SkipReason): void {
  const node = run.plan.nodes[i]!;
  run.table.state[i] = SKIPPED;
  run.table.started(i, run.now);
  run.table.ended(i, run.now);
  if (run.listening) run.emit({ type: "node.skipped", nodeId: node.id, reason });
  run.release(node.releaseAtOutput);
  run.release(node.releaseAtEnd);
}

/** Node `i` failed: log (unless the run's own stop caused it), report, and stop the run (fail-fast). */
function failed(run: Run, i: number, thrown: unknown): void {
  const node = run.plan.nodes[i]!;
  const raw = thrown instanceof steps.StepFailed ? thrown.error : thrown;
  const error = toFlowError(raw, run.runId, node.id);
  run.table.state[i] = FAILED;
  run.table.ended(i, run.now);
  if (thrown instanceof steps.StepFailed) run.table.attempts[i] = thrown.attempts;
  // The failure that becomes the run's own error is the caller's to log when it reports runs (one line each).
  const reported = run.config.logsRunFailure && !run.stopping && run.config.depth === 0;
  if (!(run.stopping && raw === run.stopReason) && !reported) run.logFailure(node.id, error, raw);
  if (run.listening) {
    const durationMs = run.table.since(i, run.now);
    const body = toEnvelope(error, run.runId, node.id).error;
    run.emit({
      type: "node.error",
      nodeId: node.id,
      error: body,
      attempts: run.table.attempts[i]!,
      durationMs,
    });
  }
  if (run.stopping) return;
  const message = `run stopped because node \`${node.id}\` failed`;
  run.fail(error, new FlowError("RUN_CANCELLED", message, { runId: run.runId }));
}
