import { describeCause } from "./errors.ts";
import { EventHub, EventQueue, type RunEvent, toEventStream } from "./events.ts";
import type { RunJournal } from "./journal.ts";
import type { Logger, LogLevel } from "./kinds/types.ts";
import { DEFAULT_IDEMPOTENCY_TTL_MS, type IdempotencyLedger } from "./ledger.ts";
import { MemoTable } from "./memo.ts";
import type { ExecutionPlan } from "./plan.ts";
import type { RunResult } from "./result.ts";
import { streamOf } from "./result.ts";
import { Run } from "./run.ts";
import { type Clock, systemClock, systemTimers, type Timers } from "./time.ts";

/** How long work that ignores its abort signal is waited for before it is abandoned. */
export const DEFAULT_GRACE_MS = 1_000;

export interface RunOptions {
  /** The event that started the run: `trigger` in expressions. */
  trigger?: unknown;
  /** Host bindings (Workers `env`), given to nodes as `ctx.env`. */
  env?: Readonly<Record<string, unknown>>;
  /** Extra `vars` (merged over the flow's var bindings). */
  vars?: Readonly<Record<string, unknown>>;
  /** The caller's signal (e.g. `request.signal`): aborting it cancels the run. */
  signal?: AbortSignal;
  /** Injected clock for timestamps and timings; `Date.now` by default. */
  clock?: Clock;
  /** Injected timers for timeouts, deadline and backoff; the global ones by default. */
  timers?: Timers;
  /** Completed steps to replay, and where to record new ones. */
  journal?: RunJournal;
  /**
   * Idempotency ledger: an effectful node with an `idempotencyKey` claims `flowId:nodeId:key` before it
   * runs; a key already done replays its recorded outputs instead of running the node again.
   */
  ledger?: IdempotencyLedger;
  /** How long the ledger remembers a completed key; 24 h by default (DEFAULT_IDEMPOTENCY_TTL_MS). */
  ledgerTtlMs?: number;
  /** Run id; by default a new UUID-shaped id (`newRunId`). */
  runId?: string;
  /** Whole-run deadline in ms; the flow's `defaults.deadline`, else 25 s, by default. */
  deadlineMs?: number;
  /** Receives every event, in order, synchronously. */
  onEvent?: (event: RunEvent) => void;
  logger?: Logger;
  /** `fetch` for `http.fetch` and capability kinds; the global one by default. */
  fetch?: typeof fetch;
  /** Resolves a flow id to its plan, for `subflow` nodes. */
  subflows?: (flowId: string) => ExecutionPlan | undefined;
  /** Randomness for retry jitter; `Math.random` by default. */
  random?: () => number;
  /** See DEFAULT_GRACE_MS. */
  graceMs?: number;
  /**
   * Keeps work alive after the run has answered (Workers: `waitUntil` of `cloudflare:workers`, or the request's
   * `ctx.waitUntil`); nodes see it as `ctx.waitUntil`. Without it, nodes await such work themselves.
   */
  waitUntil?: (promise: Promise<unknown>) => void;
  /**
   * Called once, synchronously, as soon as the output node's value exists: before the streams in it have
   * ended (a host answers with a streamed body from here, while the run goes on).
   */
  onOutput?: (value: unknown) => void;
  /**
   * The caller logs the run's failure itself (a host's one line per run, with its code, node, message and
   * cause): the kernel then does not also log the node failure that became the run's error. Failures after the
   * run stopped, and inside subflows, are still logged.
   */
  logsRunFailure?: boolean;
}

/** A started run. */
export interface RunHandle {
  readonly runId: string;
  /** Resolves when the run has ended (it never rejects: failures are a status). */
  readonly result: Promise<RunResult>;
  /**
   * Resolves as soon as the output node has produced its output (before the run ends, and before a streaming
   * output has finished), or at the end of the run (`value` undefined) when it never does.
   */
  readonly output: Promise<{ value: unknown; stream?: ReadableStream<unknown> }>;
  /** Every event of the run from `run.start` to `run.end`, however late it is read. */
  readonly events: AsyncIterable<RunEvent>;
  /** The events as a ReadableStream. */
  eventStream(): ReadableStream<RunEvent>;
  /** Cancels the run: status `cancelled`, no node starts any more, running nodes are aborted. */
  cancel(reason?: string): void;
}

const consoleLogger: Logger = Object.freeze({
  log(level: LogLevel, message: string, fields?: Readonly<Record<string, unknown>>): void {
    const line = JSON.stringify({ level, message, ...fields });
    if (level === "error") console.error(line);
    else if (level === "warn") console.warn(line);
    else console.log(line);
  },
});

const NO_ENV: Readonly<Record<string, unknown>> = Object.freeze({});

/** Calls the global fetch at call time (so that a test or host may replace it). */
const globalFetch: typeof fetch = (input, init) => fetch(input, init);

let idPrefix: string | undefined;
let idCounter = 0;
const ID_COUNTER_LIMIT = 1_000_000_000;

/**
 * A new run id, shaped like a UUID: 74 random bits drawn once per isolate (lazily: Workers forbid randomness
 * at global scope) and a counter, in decimal digits (valid hex, and far cheaper to format than hex). Unique
 * across isolates, at a fraction of the cost of a fresh UUID.
 * @example newRunId() // "1b9d6bcd-bbfd-4b2d-9b5d-001000000007"
 */
export function newRunId(): string {
  if (idPrefix === undefined || idCounter >= ID_COUNTER_LIMIT) {
    idPrefix = `${crypto.randomUUID().slice(0, 24)}00`;
    idCounter = 0;
  }
  return idPrefix + (ID_COUNTER_LIMIT + idCounter++);
}

function newRun(
  plan: ExecutionPlan,
  options: RunOptions,
  hub: EventHub | undefined,
  onOutput = options.onOutput,
): Run {
  const runId = options.runId ?? newRunId();
  const logger = options.logger ?? consoleLogger;
  if (hub) {
    hub.onSubscriberError = (error) =>
      logger.log("warn", "an event subscriber threw and was removed", { runId, error: describeCause(error) });
  }
  return new Run(plan, {
    runId,
    trigger: options.trigger,
    env: options.env ?? NO_ENV,
    vars: options.vars,
    signal: options.signal,
    clock: options.clock ?? systemClock,
    timers: options.timers ?? systemTimers,
    logger,
    fetch: options.fetch ?? globalFetch,
    journal: options.journal,
    ledger: options.ledger,
    ledgerTtlMs: options.ledgerTtlMs ?? DEFAULT_IDEMPOTENCY_TTL_MS,
    random: options.random ?? Math.random,
    graceMs: options.graceMs ?? DEFAULT_GRACE_MS,
    waitUntil: options.waitUntil,
    deadlineMs: options.deadlineMs,
    subflows: options.subflows,
    memo: new MemoTable(),
    hub,
    keyPrefix: "",
    depth: 0,
    onOutput,
    logsRunFailure: options.logsRunFailure === true,
  });
}

/**
 * Runs a plan to the end. Never rejects: a failure, a cancel or a deadline is a status with an error.
 * @example
 * const result = await runFlow(createPlan(doc), { trigger: { body }, signal: request.signal, env })
 * if (result.status !== "ok") return Response.json(toEnvelope(result.error, result.runId), { status: result.error?.status })
 */
export function runFlow(plan: ExecutionPlan, options: RunOptions = {}): Promise<RunResult> {
  let hub: EventHub | undefined;
  if (options.onEvent) {
    hub = new EventHub();
    hub.subscribe(options.onEvent);
  }
  return newRun(plan, options, hub).start();
}

/**
 * Starts a run and returns a handle: its events (recorded from the start, as an async iterable or a stream),
 * its output as soon as it exists, its result, and `cancel`.
 * @example
 * const run = startRun(plan, { trigger })
 * for await (const event of run.events) send(event)
 */
export function startRun(plan: ExecutionPlan, options: RunOptions = {}): RunHandle {
  const hub = new EventHub();
  const queue = new EventQueue();
  hub.subscribe(queue.push);
  if (options.onEvent) hub.subscribe(options.onEvent);
  let resolveOutput: (output: { value: unknown; stream?: ReadableStream<unknown> }) => void = () => {};
  const output = new Promise<{ value: unknown; stream?: ReadableStream<unknown> }>((resolve) => {
    resolveOutput = resolve;
  });
  const onOutput = (value: unknown): void => {
    const stream = streamOf(value);
    resolveOutput(stream ? { value, stream: stream.toReadableStream() } : { value });
    options.onOutput?.(value);
  };
  const run = newRun(plan, options, hub, onOutput);
  // Started on the next microtask, so that the handle exists (for `cancel`) before the first event.
  const result = new Promise<RunResult>((resolve) => queueMicrotask(() => resolve(run.start()))).then((r) => {
    resolveOutput({ value: undefined });
    return r;
  });
  return {
    runId: run.runId,
    result,
    output,
    events: queue,
    eventStream: () => toEventStream(queue),
    cancel: (reason?: string) => run.cancel(reason),
  };
}
