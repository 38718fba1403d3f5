import { AttemptGuard, NodeCtx } from "./context.ts";
import { runDurableStep } from "./durable.ts";
import { describeCause } from "./errors.ts";
import { evaluateConfig, evaluateIdempotencyKey, evaluateInputs, evaluateWhen } from "./evaluate.ts";
import { type LedgerUse, withLedger } from "./ledger.ts";
import type { PlannedNode } from "./plan.ts";
import type { Run } from "./run.ts";
import type { Outputs, StepSuccess } from "./step.ts";
import * as steps from "./step.ts";

/**
 * The life of one graph node inside a run: skip checks, `when`, input evaluation, the synchronous first
 * attempt, the asynchronous rest, streaming. This module decides; the run (`run.ts`) records what happened
 * (`run.nodeStarted`, `nodeProduced`, `nodeEnded`, `nodeFailed`…), owns the queue and releases dependants.
 */

const isThenable = (value: unknown): value is PromiseLike<unknown> =>
  typeof value === "object" && value !== null && typeof (value as PromiseLike<unknown>).then === "function";

/** The run's output value of an output node: its `out` port when it has one, else all its ports. */
export const outputValue = (outputs: Outputs): unknown => ("out" in outputs ? outputs.out : outputs);

/** Starts node `i`, whose sources have all settled: it is skipped, fails, or runs. */
export function startNode(run: Run, i: number): void {
  const node = run.plan.nodes[i]!;
  const available = node.join ? run.joinAvailability(i) : undefined;
  const skip = node.join ? (available ? undefined : "dependency") : run.skipReason(i);
  if (skip) {
    run.nodeSkipped(i, skip);
    return;
  }
  const scope = run.scope;
  if (node.when) {
    let holds: boolean;
    try {
      holds = evaluateWhen(node, scope);
    } catch (error) {
      run.nodeStarted(i);
      run.nodeFailed(i, error);
      return;
    }
    if (!holds) {
      run.nodeSkipped(i, "when");
      return;
    }
  }
  run.nodeStarted(i);
  let inputs: Outputs;
  let config: Outputs;
  let key: string | undefined;
  try {
    inputs = evaluateInputs(node, scope, available);
    config = evaluateConfig(node, scope, inputs);
    key = evaluateIdempotencyKey(node, scope, inputs);
  } catch (error) {
    run.nodeFailed(i, error);
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
  const stepKey = run.stepKey(node);
  const scope = run.scope;
  const ctx = new NodeCtx({
    run,
    step: node,
    stepKey,
    attempt: 1,
    inputs,
    config,
    idempotencyKey: key,
    scope,
  });
  const ledgered = key !== undefined && run.config.ledger !== undefined && isEffectful(node);
  if (ledgered || ((run.config.journal || run.config.steps) && node.journaled)) {
    runGuarded(run, i, ctx, ledgered);
    return;
  }
  let result: unknown;
  try {
    result = node.kind.run(ctx);
  } catch (error) {
    runAsync(run, i, steps.runAttempts(run, ctx, Promise.reject(error)));
    return;
  }
  if (isThenable(result)) {
    runAsync(run, i, steps.runAttempts(run, ctx, Promise.resolve(result) as Promise<never>));
    return;
  }
  completed(run, i, steps.normaliseOutputs(result as Outputs), 1, ctx, undefined, false);
}

const isEffectful = (node: PlannedNode): boolean => node.effect === "write" || node.effect === "external";

/**
 * A journaled or ledgered step: replayed from the journal, else claimed in the idempotency ledger (done:
 * replayed from it), else run (all attempts) and recorded in both.
 */
function runGuarded(run: Run, i: number, ctx: NodeCtx, ledgered: boolean): void {
  const config = run.config;
  const ledger = ledgered ? ledgerWrap(run, ctx) : undefined;
  const { journal, steps: engine } = config;
  if (engine && ctx.step.journaled) {
    runAsync(run, i, runDurableStep(engine, run, ctx, ledger));
    return;
  }
  const attempts = (): Promise<StepSuccess> => steps.runAttempts(run, ctx);
  const work = ledger ? () => ledger(attempts) : attempts;
  if (journal && ctx.step.journaled) {
    const now = (): number => config.clock.now();
    runAsync(run, i, steps.withJournal(journal, ctx.stepKey, now, work));
  } else runAsync(run, i, work());
}

/** A durable run has no deadline: a claim's lease is then its step's timeout (15 minutes without one). */
const DURABLE_LEASE_MS = 15 * 60_000;

/** Claims the node's idempotency key around `attempts`, completing or releasing it after. */
function ledgerWrap(run: Run, ctx: NodeCtx): (attempts: () => Promise<StepSuccess>) => Promise<StepSuccess> {
  const config = run.config;
  const span = Number.isFinite(run.deadlineMs) ? run.deadlineMs : (ctx.step.timeoutMs ?? DURABLE_LEASE_MS);
  const use: LedgerUse = {
    ledger: config.ledger!,
    key: `${run.flowId}:${ctx.nodeId}:${ctx.idempotencyKey}`,
    ttlMs: config.ledgerTtlMs,
    leaseMs: span + config.graceMs,
    onCompleteFailed: (error) =>
      config.logger.log("warn", "could not complete an idempotency key; it will expire", {
        runId: run.runId,
        nodeId: ctx.nodeId,
        error: describeCause(error),
      }),
  };
  return (attempts) => withLedger(use, attempts);
}

function runAsync(run: Run, i: number, work: Promise<StepSuccess>): void {
  run.busy();
  work.then(
    (s) => run.settled(() => completed(run, i, s.outputs, s.attempts, s.ctx, s.guard, s.replayed)),
    (error) => run.settled(() => run.nodeFailed(i, error)),
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
  const ports = ctx ? steps.streamPorts(outputs) : undefined;
  if (!ports || !ctx) {
    guard?.release();
    run.nodeProduced(i, outputs, attempts, replayed);
    run.nodeEnded(i);
    return;
  }
  streamOutputs(run, i, outputs, attempts, ports, ctx, guard);
}

/**
 * Streaming: dependants start now, with ChunkStreams; the node ends when its streams do, still under its
 * timeout and signal.
 */
function streamOutputs(
  run: Run,
  i: number,
  outputs: Outputs,
  attempts: number,
  ports: string[],
  ctx: NodeCtx,
  guard: AttemptGuard | undefined,
): void {
  const streamGuard = guard ?? new AttemptGuard(ctx, run.config.timers, run.config.graceMs);
  const nodeId = run.plan.nodes[i]!.id;
  const onChunk = (port: string, chunk: unknown, index: number): void =>
    run.emitChunk(nodeId, port, index, chunk);
  const handOff = run.listening && !run.config.handOffWhenListened ? undefined : run.plan.nodes[i]!.handOff;
  const pumped = steps.pumpStreams(outputs, ports, ctx.signal, onChunk, nodeId, handOff);
  run.nodeStreaming(i);
  run.busy();
  run.nodeProduced(i, pumped.outputs, attempts, false);
  const settle = (then: () => void): void => {
    streamGuard.release();
    run.settled(then);
  };
  pumped.done.then(
    () => settle(() => run.nodeEnded(i)),
    (error) => settle(() => run.nodeFailed(i, error)),
  );
}
