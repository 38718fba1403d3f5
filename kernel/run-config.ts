import type { NodeCtx } from "./context.ts";
import type { StepEngine } from "./durable.ts";
import type { RunEvent } from "./events.ts";
import type { RunJournal } from "./journal.ts";
import type { Logger, LogLevel } from "./kinds/types.ts";
import { DEFAULT_IDEMPOTENCY_TTL_MS, type IdempotencyLedger } from "./ledger.ts";
import { MemoTable } from "./memo.ts";
import type { ExecutionPlan } from "./plan.ts";
import { type Clock, systemClock, systemTimers, type Timers } from "./time.ts";
import { TimerSet } from "./timer-set.ts";

/** How long work that ignores its abort signal is waited for before it is abandoned. */
export const DEFAULT_GRACE_MS = 1_000;

/** What a caller gives `startRun` / `runFlow`; everything is optional. */
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
   * A durable engine (Workflows' `step`, or `MemorySteps`): the run is durable. Each journaled node is one engine
   * step, retried by the engine per the node's policy and replayed from its record on resume; `sleep` and `wait`
   * use it. Give such a run `deadlineMs: Infinity` (a replay may start days after the first call).
   */
  steps?: StepEngine;
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
  /**
   * Receives every event, in order, synchronously (a run with a listener also records its events for
   * `RunHandle.events`).
   */
  onEvent?: (event: RunEvent) => void;
  logger?: Logger;
  /** `fetch` for `http.fetch` and capability kinds; the global one by default. */
  fetch?: typeof fetch;
  /** The flows that `subflow` nodes may call, by flow id (a deployment's plans; deferred ones compile when called). */
  plans?: ReadonlyMap<string, ExecutionPlan>;
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
   * The caller logs the run's failure itself (a host's one line per run, with its code, node, message and
   * cause): the kernel then does not also log the node failure that became the run's error. Failures after the
   * run stopped, and inside subflows, are still logged.
   */
  logsRunFailure?: boolean;
  /**
   * `onEvent` does without the chunks of a byte stream handed to its one reader (the run viewer's history in the
   * isolate): such a port is handed off even though the run is listened to, and its node's events are its start,
   * output and end, with no `node.chunk`. Off by default: an SSE route and a stored event log want every chunk.
   */
  handOffWhenListened?: boolean;
}

/** Everything a run needs, resolved from `RunOptions`. */
export interface RunConfig {
  readonly runId: string;
  readonly trigger: unknown;
  readonly env: Readonly<Record<string, unknown>>;
  readonly vars: Readonly<Record<string, unknown>> | undefined;
  /** The caller's signal (a top-level run's; a subflow run has `caller` instead). */
  readonly signal: AbortSignal | undefined;
  /** A subflow run's calling node: the run follows it (stops when it aborts) without a listener on its signal. */
  readonly caller: Pick<NodeCtx, "aborted" | "follow" | "unfollow"> | undefined;
  readonly clock: Clock;
  readonly timers: Timers;
  readonly logger: Logger;
  readonly fetch: typeof fetch;
  readonly journal: RunJournal | undefined;
  /** See RunOptions.steps; a subflow run, which is one step of its caller, has none. */
  readonly steps: StepEngine | undefined;
  readonly ledger: IdempotencyLedger | undefined;
  readonly ledgerTtlMs: number;
  readonly random: () => number;
  readonly graceMs: number;
  /** RunOptions.waitUntil (subflow runs share it). */
  readonly waitUntil: ((promise: Promise<unknown>) => void) | undefined;
  readonly deadlineMs: number | undefined;
  /** See RunOptions.plans; shared by a run and its subflow runs. */
  readonly plans: ReadonlyMap<string, ExecutionPlan> | undefined;
  /** Shared by a run and its subflow runs. */
  readonly memo: MemoTable;
  /** `call#1/` inside a subflow, so that step keys stay unique. */
  readonly keyPrefix: string;
  readonly depth: number;
  /** See RunOptions.logsRunFailure. */
  readonly logsRunFailure: boolean;
  /** See RunOptions.handOffWhenListened. */
  readonly handOffWhenListened: boolean;
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

/** The configuration of a top-level run, defaults filled in. */
export function resolveRunConfig(options: RunOptions, runId: string): RunConfig {
  return {
    runId,
    trigger: options.trigger,
    env: options.env ?? NO_ENV,
    vars: options.vars,
    signal: options.signal,
    caller: undefined,
    clock: options.clock ?? systemClock,
    // The run's timeouts share one platform timer (its subflow runs share the set, as they share the config).
    timers: new TimerSet(options.timers ?? systemTimers),
    logger: options.logger ?? consoleLogger,
    fetch: options.fetch ?? globalFetch,
    journal: options.journal,
    steps: options.steps,
    ledger: options.ledger,
    ledgerTtlMs: options.ledgerTtlMs ?? DEFAULT_IDEMPOTENCY_TTL_MS,
    random: options.random ?? Math.random,
    graceMs: options.graceMs ?? DEFAULT_GRACE_MS,
    waitUntil: options.waitUntil,
    deadlineMs: options.deadlineMs,
    plans: options.plans,
    memo: new MemoTable(),
    keyPrefix: "",
    depth: 0,
    logsRunFailure: options.logsRunFailure === true,
    handOffWhenListened: options.handOffWhenListened === true,
  };
}
