import {
  type CompiledExpression,
  type CompiledValue,
  ExpressionError,
  type Scope,
} from "../flows/expr/index.ts";
import type { StepEngine } from "./durable.ts";
import { FlowError } from "./errors.ts";
import type { LogLevel, NodeContext } from "./kinds/types.ts";
import type { CompiledStep } from "./plan-step.ts";
import type { RunConfig } from "./run-config.ts";
import { type Clock, sleep, type Timers } from "./time.ts";

/** Anything with a (possibly lazily created) signal. */
export interface SignalSource {
  readonly signal: AbortSignal;
}

/** Work that stops when what it follows stops: an attempt's guard (it follows its run), a subflow run (its calling node). */
export interface Follower {
  abort(reason: unknown): void;
}

/**
 * Something that tells its followers when it stops, so that they need no listener on its signal (an AbortController
 * each, and an add and a remove, native calls on workerd): a run tells the guards of its nodes' attempts, and an
 * attempt (`NodeCtx`) tells the subflow runs it called.
 */
export interface Followed {
  /** Calls `follower.abort(reason)` when it stops, at once if it has stopped. */
  follow(follower: Follower): void;
  unfollow(follower: Follower): void;
}

/**
 * Adds `follower` to `followers` (made on first use), or aborts it at once with `reason` when what it would follow
 * has already stopped; the one definition of following for runs and attempts.
 */
export function addFollower(
  followers: Set<Follower> | undefined,
  follower: Follower,
  stopped: boolean,
  reason: unknown,
): Set<Follower> | undefined {
  if (stopped) {
    follower.abort(reason);
    return followers;
  }
  followers ??= new Set();
  followers.add(follower);
  return followers;
}

/** Aborts every follower (over a copy: an abort may unfollow). */
export function abortFollowers(followers: Set<Follower> | undefined, reason: unknown): void {
  if (followers) for (const follower of [...followers]) follower.abort(reason);
}

/** A run: the parent of its nodes' attempts, with a signal for the work that wants one. */
export interface StopSource extends SignalSource, Followed {}

const isStopSource = (parent: SignalSource): parent is StopSource =>
  typeof (parent as Partial<StopSource>).follow === "function";

/** What a node context needs from its run (implemented by `Run`); its signal aborts when the run stops. */
export interface ContextHost extends SignalSource {
  readonly runId: string;
  readonly flowId: string;
  readonly config: Pick<RunConfig, "clock" | "timers" | "env" | "fetch" | "logger" | "waitUntil" | "steps">;
  emitChunk(nodeId: string, port: string | null, index: number, chunk: unknown): void;
  runTemplate(ctx: NodeCtx, item: unknown, index: number, signal: AbortSignal | undefined): Promise<unknown>;
  runSubflow(ctx: NodeCtx, flowId: string, input: unknown): Promise<unknown>;
}

/** Wraps an expression failure as `EXPRESSION_FAILED` (`EXPRESSION_LIMIT` past a run-time bound), located by node and field. */
export function expressionFailed(error: unknown, nodeId: string, path: string): FlowError {
  if (error instanceof FlowError) return error;
  const message = error instanceof ExpressionError ? error.message : "expression could not be evaluated";
  // A run-time bound of flows/expr/budget.ts (steps, result size, depth): the payload was too much for the expression.
  const code =
    error instanceof ExpressionError && error.code === "EXPR_LIMIT"
      ? "EXPRESSION_LIMIT"
      : "EXPRESSION_FAILED";
  return new FlowError(code, `node \`${nodeId}\` ${path}: ${message}`, {
    nodeId,
    details: { nodeId, path },
    cause: error,
  });
}

/** What a node context is made of (one object: most fields are the same for every attempt of a step). */
export interface NodeCtxInit {
  /** The run: its config, events and nested work. */
  readonly run: ContextHost;
  readonly step: CompiledStep;
  readonly stepKey: string;
  readonly attempt: number;
  readonly inputs: Readonly<Record<string, unknown>>;
  readonly config: Readonly<Record<string, unknown>>;
  readonly idempotencyKey: string | undefined;
  /** The scope expressions of this node see (the run's, or a template item's). */
  readonly scope: Scope;
  /** The enclosing work when it is not the run itself: the node running a template, or a signal. */
  readonly parent?: SignalSource;
}

/**
 * The context of one attempt. Its AbortController is created only when someone asks for `signal` (a
 * synchronous pure node never does, and costs no controller); `abort()` before that is remembered.
 */
export class NodeCtx implements NodeContext, Followed {
  readonly host: ContextHost;
  readonly step: CompiledStep;
  readonly stepKey: string;
  readonly attempt: number;
  readonly inputs: Readonly<Record<string, unknown>>;
  readonly config: Readonly<Record<string, unknown>>;
  readonly idempotencyKey: string | undefined;
  /** The scope expressions of this node see (the run's, or a template item's). */
  readonly scope: Scope;
  /** The enclosing work (the run, or the node running a template); its signal is created lazily. */
  readonly parent: SignalSource;
  #controller: AbortController | undefined = undefined;
  /** Set once aborted: `{ reason }`. */
  #abort: { reason: unknown } | undefined = undefined;
  /** The subflow runs this attempt called that are still going (they stop when it aborts). */
  #followers: Set<Follower> | undefined = undefined;
  #chunks = 0;

  constructor(init: NodeCtxInit) {
    this.host = init.run;
    this.step = init.step;
    this.stepKey = init.stepKey;
    this.attempt = init.attempt;
    this.inputs = init.inputs;
    this.config = init.config;
    this.idempotencyKey = init.idempotencyKey;
    this.scope = init.scope;
    this.parent = init.parent ?? init.run;
  }

  /** The context of another attempt of the same step: same inputs, config, key, scope and parent. */
  forAttempt(attempt: number): NodeCtx {
    const { host: run, step, stepKey, inputs, config, idempotencyKey, scope, parent } = this;
    return new NodeCtx({ run, step, stepKey, attempt, inputs, config, idempotencyKey, scope, parent });
  }

  get parentSignal(): AbortSignal {
    return this.parent.signal;
  }

  get nodeId(): string {
    return this.step.id;
  }
  get runId(): string {
    return this.host.runId;
  }
  get flowId(): string {
    return this.host.flowId;
  }
  get prepared(): unknown {
    return this.step.prepared;
  }
  get clock(): Clock {
    return this.host.config.clock;
  }
  get env(): Readonly<Record<string, unknown>> {
    return this.host.config.env;
  }
  get fetch(): typeof fetch {
    return this.host.config.fetch;
  }
  get waitUntil(): ((promise: Promise<unknown>) => void) | undefined {
    return this.host.config.waitUntil;
  }
  get steps(): StepEngine | undefined {
    return this.host.config.steps;
  }

  get signal(): AbortSignal {
    if (!this.#controller) {
      this.#controller = new AbortController();
      if (this.#abort) this.#controller.abort(this.#abort.reason);
      else if (this.parentSignal.aborted) this.abort(this.parentSignal.reason);
    }
    return this.#controller.signal;
  }

  get aborted(): boolean {
    return this.#abort !== undefined;
  }
  get abortReason(): unknown {
    return this.#abort?.reason;
  }

  /** Aborts this attempt's work (first reason wins): its signal, and the subflow runs that follow it. */
  abort(reason: unknown): void {
    if (this.#abort) return;
    this.#abort = { reason };
    this.#controller?.abort(reason);
    abortFollowers(this.#followers, reason);
  }

  follow(follower: Follower): void {
    this.#followers = addFollower(this.#followers, follower, this.#abort !== undefined, this.#abort?.reason);
  }

  unfollow(follower: Follower): void {
    this.#followers?.delete(follower);
  }

  log(level: LogLevel, message: string, data?: unknown): void {
    this.host.config.logger.log(level, message, { runId: this.runId, nodeId: this.nodeId, data });
  }

  emit(chunk: unknown): void {
    this.host.emitChunk(this.nodeId, null, this.#chunks++, chunk);
  }

  evaluate(expression: CompiledExpression | CompiledValue): unknown {
    const scope = this.scope as Scope & { input?: unknown };
    const previous = scope.input;
    scope.input = this.inputs;
    try {
      return expression.evaluate(scope);
    } catch (error) {
      throw expressionFailed(error, this.nodeId, "config");
    } finally {
      scope.input = previous;
    }
  }

  sleep(ms: number): Promise<void> {
    return sleep(ms, this.signal, this.host.config.timers);
  }

  runTemplate(item: unknown, index: number, options?: { signal?: AbortSignal }): Promise<unknown> {
    return this.host.runTemplate(this, item, index, options?.signal);
  }

  runSubflow(flowId: string, input: unknown): Promise<unknown> {
    return this.host.runSubflow(this, flowId, input);
  }
}

/**
 * Guards one asynchronous attempt: arms the step's timeout, follows the parent signal, and aborts the work
 * (not just the wait) when either fires. Work that ignores its signal is abandoned after `graceMs`: the
 * attempt then fails with the abort reason (details `{ abandoned: true }`) so that a run always ends.
 */
export class AttemptGuard implements Follower {
  readonly #ctx: NodeCtx;
  readonly #timers: Timers;
  readonly #graceMs: number;
  #timer: unknown = undefined;
  #grace: unknown = undefined;
  #released = false;
  #onAbandon: ((reason: unknown) => void) | undefined = undefined;
  /** The parent that calls `abort` when it stops, or undefined when the guard listens to its signal instead. */
  #stops: StopSource | undefined = undefined;
  /** Made only for a parent that is a plain signal (a template item's): the run's attempts follow the run. */
  #onParentAbort: (() => void) | undefined = undefined;

  constructor(ctx: NodeCtx, timers: Timers, graceMs: number) {
    this.#ctx = ctx;
    this.#timers = timers;
    this.#graceMs = graceMs;
    const timeoutMs = ctx.step.timeoutMs;
    if (timeoutMs !== undefined)
      this.#timer = timers.setTimeout(() => this.abort(nodeTimeout(ctx, timeoutMs)), timeoutMs);
    const parent = ctx.parent;
    if (isStopSource(parent)) {
      this.#stops = parent;
      parent.follow(this);
    } else if (ctx.parentSignal.aborted) this.abort(ctx.parentSignal.reason);
    else {
      this.#onParentAbort = () => this.abort(ctx.parentSignal.reason);
      ctx.parentSignal.addEventListener("abort", this.#onParentAbort, { once: true });
    }
  }

  abort(reason: unknown): void {
    if (this.#released || this.#ctx.aborted) return;
    this.#ctx.abort(reason);
    this.#grace = this.#timers.setTimeout(() => {
      if (this.#released) return;
      const abandoned = this.#onAbandon;
      this.release();
      abandoned?.(withAbandoned(reason));
    }, this.#graceMs);
  }

  /** Settles with the work, or rejects with the abort reason once aborted (at the latest after the grace). */
  wait<T>(work: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#onAbandon = reject;
      work.then(
        (value) => (this.#ctx.aborted ? reject(this.#ctx.abortReason) : resolve(value)),
        (error) => reject(this.#ctx.aborted ? this.#ctx.abortReason : error),
      );
    });
  }

  release(): void {
    if (this.#released) return;
    this.#released = true;
    if (this.#timer !== undefined) this.#timers.clearTimeout(this.#timer);
    if (this.#grace !== undefined) this.#timers.clearTimeout(this.#grace);
    if (this.#stops) this.#stops.unfollow(this);
    else if (this.#onParentAbort) this.#ctx.parentSignal.removeEventListener("abort", this.#onParentAbort);
  }
}

function nodeTimeout(ctx: NodeCtx, timeoutMs: number): FlowError {
  return new FlowError(
    "NODE_TIMEOUT",
    `node \`${ctx.nodeId}\` timed out after ${timeoutMs}ms (attempt ${ctx.attempt})`,
    {
      nodeId: ctx.nodeId,
      details: { nodeId: ctx.nodeId, timeoutMs, attempt: ctx.attempt },
    },
  );
}

function withAbandoned(reason: unknown): unknown {
  if (!(reason instanceof FlowError)) return reason;
  return new FlowError(
    reason.code,
    `${reason.message}; the node ignored its abort signal and was abandoned`,
    {
      status: reason.status,
      expose: reason.expose,
      retriable: false,
      nodeId: reason.nodeId,
      details: { ...(reason.details as object), abandoned: true },
    },
  );
}
