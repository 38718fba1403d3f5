import { AttemptGuard, type NodeCtx } from "./context.ts";
import { FlowError, isRetriable } from "./errors.ts";
import type { RunJournal } from "./journal.ts";
import { type StepRecord, stepKey } from "./journal.ts";
import type { NodeResult } from "./kinds/types.ts";
import { retryDelay } from "./retry.ts";
import type { RunConfig } from "./run-config.ts";
import { ChunkStream, handOff, isStreamLike, pump } from "./stream.ts";
import { sleep } from "./time.ts";

/**
 * Running one step: attempts with timeouts, retries with backoff, the journal. Shared by graph nodes
 * (after a synchronous first attempt did not finish the job) and templates.
 */

export type Outputs = Readonly<Record<string, unknown>>;

const NO_OUTPUTS: Outputs = Object.freeze({});

/** `{ out: stream }` for a bare stream, `{}` for nothing, the record itself otherwise. */
export function normaliseOutputs(result: NodeResult): Outputs {
  if (result === undefined || result === null) return NO_OUTPUTS;
  // The common case first: a plain record of ports (a stream is never a plain object).
  if (Object.getPrototypeOf(result) === Object.prototype) return result as Outputs;
  if (typeof result !== "object" || Array.isArray(result) || isStreamLike(result)) return { out: result };
  return result as Outputs;
}

/** Ports whose value is a stream to pump (a ChunkStream passed along is already pumped). */
export function streamPorts(outputs: Outputs): string[] | undefined {
  let ports: string[] | undefined;
  for (const port in outputs) {
    const value = outputs[port];
    if (
      typeof value === "object" &&
      value !== null &&
      !(value instanceof ChunkStream) &&
      isStreamLike(value)
    ) {
      ports ??= [];
      ports.push(port);
    }
  }
  return ports;
}

/**
 * Replaces stream ports by ChunkStreams and pumps them all, except the `handOff` ports holding a ReadableStream,
 * which go to their one reader untouched (`stream.ts` `handOff`); resolves when every stream has ended.
 */
export function pumpStreams(
  outputs: Outputs,
  ports: readonly string[],
  signal: AbortSignal,
  onChunk: (port: string, chunk: unknown, index: number) => void,
  nodeId = "node",
  handOffPorts: readonly string[] = [],
): { outputs: Outputs; done: Promise<void> } {
  const replaced: Record<string, unknown> = { ...outputs };
  const pumps = ports.map((port) => {
    const source = outputs[port] as AsyncIterable<unknown>;
    if (source instanceof ReadableStream && handOffPorts.includes(port)) {
      const handed = handOff(source as ReadableStream<Uint8Array>, signal);
      replaced[port] = handed.stream;
      return handed.done;
    }
    const target = new ChunkStream({ label: `nodes.${nodeId}.${port}` });
    replaced[port] = target;
    return pump(source, target, signal, (chunk, index) => onChunk(port, chunk, index));
  });
  return { outputs: replaced, done: Promise.all(pumps).then(() => undefined) };
}

/** What running attempts needs from the run. */
export interface AttemptHost {
  readonly config: Pick<RunConfig, "timers" | "random" | "graceMs">;
  /** True once the run is stopping: no retry is started then. */
  readonly stopping: boolean;
  retried(ctx: NodeCtx, delayMs: number, error: unknown): void;
}

export interface StepSuccess {
  outputs: Outputs;
  attempts: number;
  /** The successful attempt; still guarded (timeout, parent signal) until the caller releases it. */
  ctx: NodeCtx | undefined;
  guard?: AttemptGuard;
  replayed: boolean;
}

/** A step failed for good: the last error and how many attempts were made. */
export class StepFailed extends Error {
  readonly error: unknown;
  readonly attempts: number;
  constructor(error: unknown, attempts: number) {
    super("step failed");
    this.error = error;
    this.attempts = attempts;
  }
}

/** Calls `run`, turning a synchronous throw into a rejected promise. */
export function callRun(ctx: NodeCtx): Promise<NodeResult> {
  try {
    return Promise.resolve(ctx.step.kind.run(ctx));
  } catch (error) {
    return Promise.reject(error);
  }
}

/**
 * Runs attempts until one succeeds, the policy's attempts are spent, an error is not retriable, or the run
 * stops: `ctx` first (with `started`, its `run` already called by the synchronous fast path), then contexts for
 * the next attempts (`ctx.forAttempt`). Retries sleep on the parent signal, so a cancel interrupts the backoff.
 */
export async function runAttempts(
  host: AttemptHost,
  first: NodeCtx,
  started?: Promise<NodeResult>,
): Promise<StepSuccess> {
  let pending = started;
  for (let attempt = first.attempt; ; attempt++) {
    const ctx = attempt === first.attempt ? first : first.forAttempt(attempt);
    const work = pending ?? callRun(ctx);
    pending = undefined;
    const guard = new AttemptGuard(ctx, host.config.timers, host.config.graceMs);
    try {
      const outputs = normaliseOutputs(await guard.wait(work));
      return { outputs, attempts: attempt, ctx, guard, replayed: false };
    } catch (error) {
      // Whatever the failed attempt started (template items, a subflow, a stream) is aborted with it.
      ctx.abort(error);
      guard.release();
      const policy = ctx.step.retry;
      if (host.stopping || attempt >= policy.attempts || !isRetriable(error))
        throw new StepFailed(error, attempt);
      const delayMs = retryDelay(policy, attempt, error, host.config.random);
      host.retried(ctx, delayMs, error);
      try {
        await sleep(delayMs, ctx.parentSignal, host.config.timers);
      } catch (reason) {
        throw new StepFailed(reason, attempt);
      }
    }
  }
}

/**
 * Replays a journaled step, or runs it and records its outputs. Outputs holding streams are not recorded
 * (a stream cannot be replayed); such a step runs again on resume.
 */
export async function withJournal(
  journal: RunJournal,
  key: string,
  now: () => number,
  run: () => Promise<StepSuccess>,
): Promise<StepSuccess> {
  let record: StepRecord | undefined;
  try {
    record = await journal.get(key);
  } catch (error) {
    throw new StepFailed(journalFailed("read", key, error), 0);
  }
  if (record) return { outputs: record.outputs, attempts: record.attempts, ctx: undefined, replayed: true };
  const success = await run();
  if (streamPorts(success.outputs)) return success;
  try {
    await journal.put(key, {
      status: "ok",
      outputs: success.outputs as Record<string, unknown>,
      at: now(),
      attempts: success.attempts,
    });
  } catch (error) {
    success.guard?.release();
    throw new StepFailed(journalFailed("write", key, error), success.attempts);
  }
  return success;
}

function journalFailed(operation: string, key: string, cause: unknown): FlowError {
  return new FlowError("JOURNAL_FAILED", `could not ${operation} step \`${key}\` in the run journal`, {
    details: { stepKey: key },
    cause,
  });
}

export { stepKey };
