import {
  abortFollowers,
  addFollower,
  type ContextHost,
  type Follower,
  type NodeCtx,
  type StopSource,
} from "./context.ts";
import { resolvePlan } from "./deferred-plan.ts";
import { describeCause, FlowError, toEnvelope, toFlowError } from "./errors.ts";
import type { RunScope } from "./evaluate.ts";
import type { EventHub, RunEvent, RunStatus, SkipReason, SkipStep } from "./events.ts";
import { runSubflow, runTemplate } from "./nested.ts";
import { outputValue, startNode } from "./node-lifecycle.ts";
import { NodeTable } from "./node-table.ts";
import type { ExecutionPlan, PlannedNode } from "./plan.ts";
import { buildResult, type RunResult } from "./result.ts";
import type { RunConfig } from "./run-config.ts";
import { type AttemptHost, type Outputs, StepFailed } from "./step.ts";

type EventFields = RunEvent extends infer E
  ? E extends RunEvent
    ? Omit<E, "seq" | "runId" | "at">
    : never
  : never;

/** Told about a run's output and its end (a RunHandle; a subflow call). Kernel code only. */
export interface RunWatcher {
  /** The output node's value exists: called once, synchronously, before the streams in it have ended. */
  outputReady?(value: unknown): void;
  /** The run has ended; called once. */
  ended(result: RunResult): void;
}

/**
 * One execution of a plan: the queue of ready nodes, the stop (cancel, deadline, failure), the end. A node
 * starts as soon as its sources have settled; synchronous nodes run in a loop (no promise, no recursion),
 * asynchronous ones concurrently (`node-lifecycle.ts`). The clock is read once per scheduling turn (and
 * every 64 nodes of a long one), so synchronous nodes of one turn share a reading; on Workers time does not
 * advance during computation anyway.
 *
 * The run owns its state (the node table, the expression scope, the clock reading, the stop): other modules read
 * it and tell the run what happened through its methods (`nodeStarted`, `nodeProduced`, `nodeEnded`…); only this
 * class changes it. Not public: its methods serve `node-lifecycle.ts`, `nested.ts` and `step.ts`.
 */
export class Run implements ContextHost, AttemptHost, StopSource, Follower {
  readonly plan: ExecutionPlan;
  readonly config: RunConfig;
  readonly runId: string;
  readonly flowId: string;
  readonly deadlineMs: number;
  readonly #scope: RunScope;
  readonly #table: NodeTable;
  /** True once the run is stopping: no node starts any more. */
  #stopping = false;
  #stopReason: FlowError | undefined = undefined;
  /** The latest clock reading. */
  #now: number;
  /** The output candidate that produced output first, or -1. */
  #outputIndex = -1;
  #status: RunStatus = "ok";
  #error: FlowError | undefined = undefined;
  #controller: AbortController | undefined = undefined;
  /** The guards of the attempts running now, aborted when the run stops (`StopSource`). */
  #followers: Set<Follower> | undefined = undefined;
  #queue: number[] = [];
  #draining = false;
  #active = 0;
  #started = false;
  #finished = false;
  readonly #startedAt: number;
  #deadlineTimer: unknown = undefined;
  /** True once the run has gone asynchronous: its deadline timer is armed and it follows the caller's signal. */
  #async = false;
  readonly #watcher: RunWatcher;
  /** Undefined when nobody listens: then no event object is ever built. */
  #hub: EventHub | undefined = undefined;
  /** Made when the run first follows the caller's signal (`busy`): a synchronous run makes no closure. */
  #onCallerAbort: (() => void) | undefined = undefined;

  constructor(plan: ExecutionPlan, config: RunConfig, watcher: RunWatcher) {
    // Compiled here (a deferred plan that does not compile throws to whoever makes the run), read directly after.
    this.plan = resolvePlan(plan);
    this.#watcher = watcher;
    this.config = config;
    this.runId = config.runId;
    this.flowId = this.plan.flowId;
    this.deadlineMs = config.deadlineMs ?? this.plan.deadlineMs;
    const vars = config.vars ? { ...this.plan.vars, ...config.vars } : this.plan.vars;
    const run = { id: config.runId, flowId: this.plan.flowId };
    this.#scope = { trigger: config.trigger, nodes: {}, vars, run, input: undefined };
    this.#table = new NodeTable(this.plan);
    this.#now = this.#startedAt = config.clock.now();
  }

  /** The expression scope of the run's nodes (their outputs are added by the run as they are produced). */
  get scope(): Readonly<RunScope> {
    return this.#scope;
  }

  /** True once the run is stopping: no node starts any more. */
  get stopping(): boolean {
    return this.#stopping;
  }

  /** The run's signal, created on first use; aborted when the run stops. */
  get signal(): AbortSignal {
    if (!this.#controller) {
      this.#controller = new AbortController();
      if (this.#stopping) this.#controller.abort(this.#stopReason);
    }
    return this.#controller.signal;
  }

  follow(guard: Follower): void {
    this.#followers = addFollower(this.#followers, guard, this.#stopping, this.#stopReason);
  }

  unfollow(guard: Follower): void {
    this.#followers?.delete(guard);
  }

  /** True when someone listens to the run's events (a stream's chunks are then events too: none is handed off). */
  get listening(): boolean {
    return this.#hub !== undefined;
  }

  /** Someone listens to the run's events (before it starts): from now on they are built and published. */
  listen(hub: EventHub): void {
    hub.onSubscriberError = (error) =>
      this.config.logger.log("warn", "an event subscriber threw and was removed", {
        runId: this.runId,
        error: describeCause(error),
      });
    this.#hub = hub;
  }

  /** Starts the run; the watcher hears of its end (never an exception) once every started node has ended. */
  start(): void {
    this.#started = true;
    this.#queue = this.plan.roots.slice();
    this.#draining = true;
    try {
      if (this.#hub) this.#emit({ type: "run.start", flowId: this.flowId, flowVersion: this.plan.version });
      // The caller's signal is followed (a listener) only once the run goes asynchronous (`busy`): a run that ends
      // in this turn cannot see it abort, except by its own nodes, which is no different from an abort just after.
      if (this.config.signal?.aborted || this.config.caller?.aborted)
        this.cancel("the caller's signal was already aborted");
    } finally {
      this.#draining = false;
    }
    this.#drain();
  }

  /** What this run follows (its calling node, for a subflow run) has stopped: the run is cancelled. */
  abort(_reason: unknown): void {
    this.cancel("the caller's signal was aborted");
  }

  /** Stops the run with status `cancelled`: no node starts any more; running ones are aborted. */
  cancel(reason = "cancelled"): void {
    this.#stop(
      new FlowError("RUN_CANCELLED", `run cancelled: ${reason}`, { runId: this.runId }),
      "cancelled",
    );
  }

  #stop(reason: FlowError, status: RunStatus): void {
    if (this.#stopping) return;
    this.#stopping = true;
    this.#stopReason = reason;
    this.#status = status;
    this.#controller?.abort(reason);
    abortFollowers(this.#followers, reason);
    if (this.#started && !this.#draining && this.#active === 0) {
      this.#now = this.config.clock.now();
      this.#finish();
    }
  }

  #deadlineExceeded(): void {
    const message = `run exceeded its deadline of ${this.deadlineMs}ms`;
    const details = { deadlineMs: this.deadlineMs };
    this.#stop(
      new FlowError("DEADLINE_EXCEEDED", message, { runId: this.runId, details }),
      "deadline_exceeded",
    );
  }

  /**
   * Counts a piece of asynchronous work. When a run first goes asynchronous it arms its deadline timer and starts
   * following the caller's signal: a run that ends in the turn it started pays for neither.
   */
  busy(): void {
    this.#active++;
    if (this.#async) return;
    this.#async = true;
    const left = this.deadlineMs - (this.#now - this.#startedAt);
    // A durable run has none (Infinity): a timer of more than 2³¹ − 1 ms would fire at once.
    if (Number.isFinite(left))
      this.#deadlineTimer = this.config.timers.setTimeout(() => this.#deadlineExceeded(), Math.max(0, left));
    // A subflow run follows its calling node; a top-level run listens to its caller's signal.
    if (this.config.caller) {
      this.config.caller.follow(this);
      return;
    }
    const caller = this.config.signal;
    if (!caller) return;
    if (caller.aborted) this.cancel("the caller's signal was aborted");
    else {
      this.#onCallerAbort = () => this.cancel("the caller's signal was aborted");
      caller.addEventListener("abort", this.#onCallerAbort, { once: true });
    }
  }

  /** Asynchronous work has settled: read the clock, run its bookkeeping, then go on scheduling. */
  settled(then: () => void): void {
    this.#active--;
    this.#now = this.config.clock.now();
    this.#guarded(then);
  }

  /**
   * Runs `work` as part of the scheduling loop, then drains the queue. Inside, a stop (a cancel from an event
   * subscriber, say) cannot end the run half-way through a node's bookkeeping: the run ends after the drain.
   */
  #guarded(work: () => void): void {
    this.#draining = true;
    try {
      work();
    } finally {
      this.#draining = false;
    }
    this.#drain();
  }

  #drain(): void {
    if (this.#draining || this.#finished) return;
    this.#draining = true;
    const queue = this.#queue;
    for (let head = 0; head < queue.length && !this.#stopping; head++) {
      // Synchronous nodes share their turn's clock reading; a long turn reads it again every 64 nodes.
      if ((head & 63) === 63) this.#now = this.config.clock.now();
      if (this.#now - this.#startedAt >= this.deadlineMs) this.#deadlineExceeded();
      else startNode(this, queue[head]!);
    }
    queue.length = 0;
    this.#draining = false;
    if (this.#active === 0) this.#finish();
  }

  #finish(): void {
    if (this.#finished) return;
    this.#finished = true;
    if (this.#async) {
      this.config.timers.clearTimeout(this.#deadlineTimer);
      if (this.#onCallerAbort) this.config.signal?.removeEventListener("abort", this.#onCallerAbort);
      this.config.caller?.unfollow(this);
    }
    // The end time is the last turn's clock reading: a run ends in the turn where its last node settled.
    const status = this.#status;
    const error = status === "failed" ? this.#error : this.#stopReason;
    const table = this.#table;
    const output = this.#outputIndex >= 0 ? outputValue(table.outputsOf(this.#outputIndex)!) : undefined;
    const result = buildResult(this.runId, table, status, error, output, this.#startedAt, this.#now);
    const candidates = this.plan.outputCandidates;
    if (status === "ok" && this.#outputIndex < 0 && candidates.length > 0) {
      const skipped: Record<string, SkipStep[]> = {};
      for (const i of candidates) skipped[this.plan.nodes[i]!.id] = table.skipTrail(i);
      result.outputSkipped = skipped;
    }
    if (this.#hub) {
      const errorBody = error && { error: toEnvelope(error, this.runId).error };
      this.#emit({
        type: "run.end",
        status,
        durationMs: result.timings.durationMs,
        timings: result.timings,
        ...errorBody,
      });
    }
    this.#watcher.ended(result);
  }

  // What happens to a node, as node-lifecycle.ts tells it: the run records it, publishes its event when someone
  // listens, and queues the dependants it releases.

  /** Why node `i` (not a join) must be skipped, if it must. */
  skipReason(i: number): SkipReason | undefined {
    return this.#table.skipReason(this.plan.nodes[i]!);
  }

  /** Which inputs of join `i` have all their sources available; undefined when none has. */
  joinAvailability(i: number): boolean[] | undefined {
    return this.#table.joinAvailability(this.plan.nodes[i]!);
  }

  nodeSkipped(i: number, reason: SkipReason): void {
    const node = this.plan.nodes[i]!;
    this.#table.skip(i, this.#now);
    if (this.#hub) this.#emit({ type: "node.skipped", nodeId: node.id, reason });
    this.#release(node.releaseAtOutput);
    this.#release(node.releaseAtEnd);
  }

  nodeStarted(i: number): void {
    this.#table.start(i, this.#now);
    if (this.#hub) {
      const node = this.plan.nodes[i]!;
      this.#emit({ type: "node.start", nodeId: node.id, kind: node.kindName, stepKey: this.stepKey(node) });
    }
  }

  /** Node `i` produced its outputs after `attempts` attempts (or replayed them): they become visible. */
  nodeProduced(i: number, outputs: Outputs, attempts: number, replayed: boolean): void {
    const node = this.plan.nodes[i]!;
    this.#table.produce(i, outputs, attempts);
    this.#scope.nodes[node.id] = outputs;
    if (this.#hub)
      this.#emit({ type: "node.output", nodeId: node.id, outputs, ...(replayed && { replayed }) });
    if (node.isOutput && this.#outputIndex < 0) {
      this.#outputIndex = i;
      this.#watcher.outputReady?.(outputValue(outputs));
    }
    this.#release(node.releaseAtOutput);
  }

  /** Node `i`'s outputs are streams: it goes on until they end. */
  nodeStreaming(i: number): void {
    this.#table.stream(i);
  }

  nodeEnded(i: number): void {
    const node = this.plan.nodes[i]!;
    this.#table.end(i, this.#now);
    if (this.#hub) {
      const durationMs = this.#table.since(i, this.#now);
      this.#emit({ type: "node.end", nodeId: node.id, attempts: this.#table.attemptsOf(i), durationMs });
    }
    this.#release(node.releaseAtEnd);
  }

  /** Node `i` failed: log (unless the run's own stop caused it), report, and stop the run (fail-fast). */
  nodeFailed(i: number, thrown: unknown): void {
    const node = this.plan.nodes[i]!;
    const raw = thrown instanceof StepFailed ? thrown.error : thrown;
    const error = toFlowError(raw, this.runId, node.id);
    this.#table.fail(i, this.#now, thrown instanceof StepFailed ? thrown.attempts : undefined);
    // The failure that becomes the run's own error is the caller's to log when it reports runs (one line each).
    const reported = this.config.logsRunFailure && !this.#stopping && this.config.depth === 0;
    if (!(this.#stopping && raw === this.#stopReason) && !reported) this.#logFailure(node.id, error, raw);
    if (this.#hub) {
      const durationMs = this.#table.since(i, this.#now);
      const body = toEnvelope(error, this.runId, node.id).error;
      const attempts = this.#table.attemptsOf(i);
      this.#emit({ type: "node.error", nodeId: node.id, error: body, attempts, durationMs });
    }
    if (this.#stopping) return;
    this.#error = error;
    const message = `run stopped because node \`${node.id}\` failed`;
    this.#stop(new FlowError("RUN_CANCELLED", message, { runId: this.runId }), "failed");
  }

  /** Queues the dependants whose last source this was. */
  #release(dependants: readonly number[]): void {
    this.#table.release(dependants, this.#queue);
  }

  /** The journal key of a graph node of this run. */
  stepKey(node: PlannedNode): string {
    const prefix = this.config.keyPrefix;
    return prefix === "" ? node.stepKey : prefix + node.stepKey;
  }

  /** Publishes an event (call only when someone listens: events are built only then). */
  #emit(event: EventFields): void {
    const hub = this.#hub!;
    hub.publish({ ...event, seq: ++hub.seq, runId: this.runId, at: this.#now } as RunEvent);
  }

  /** Logs a node's failure with its cause (which never goes to a client). */
  #logFailure(nodeId: string, error: FlowError, raw: unknown): void {
    const cause = raw instanceof FlowError ? raw.cause : raw;
    const fields = {
      runId: this.runId,
      nodeId,
      code: error.code,
      ...(cause !== undefined && { cause: describeCause(cause) }),
    };
    this.config.logger.log(
      error.expose ? "warn" : "error",
      `node \`${nodeId}\` failed: ${error.message}`,
      fields,
    );
  }

  emitChunk(nodeId: string, port: string | null, index: number, chunk: unknown): void {
    if (!this.#hub) return;
    this.#now = this.config.clock.now();
    this.#emit({ type: "node.chunk", nodeId, port, index, chunk });
  }

  retried(ctx: NodeCtx, delayMs: number, error: unknown): void {
    if (ctx.parent !== this || !this.#hub) return;
    this.#now = this.config.clock.now();
    const body = toEnvelope(toFlowError(error, this.runId, ctx.nodeId), this.runId, ctx.nodeId).error;
    this.#emit({ type: "node.retry", nodeId: ctx.nodeId, attempt: ctx.attempt, delayMs, error: body });
  }

  runTemplate(ctx: NodeCtx, item: unknown, index: number, signal: AbortSignal | undefined): Promise<unknown> {
    return runTemplate(this, ctx, item, index, signal);
  }

  runSubflow(ctx: NodeCtx, flowId: string, input: unknown): Promise<unknown> {
    return runSubflow(this, ctx, flowId, input);
  }

  /** Runs `plan` as a subflow of this run (same config, memo table and journal; no listener) to its end. */
  runChild(plan: ExecutionPlan, overrides: Partial<RunConfig>): Promise<RunResult> {
    const config = { ...this.config, ...overrides, depth: this.config.depth + 1 };
    return new Promise<RunResult>((ended) => new Run(plan, config, { ended }).start());
  }
}
