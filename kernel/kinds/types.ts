import type { CompiledExpression, CompiledValue } from "../../flows/expr/index.ts";
import type { Json } from "../../flows/ir/types.ts";
import type { NodeKindSpec } from "../../flows/kinds/spec.ts";
import type { StepEngine } from "../durable.ts";
import type { Clock } from "../time.ts";

/**
 * A node kind: the declarative spec (what the validator and packager read) plus its implementation. Built-in
 * kinds and capability plugins (KV, R2, Queues, GitHub…) are all written this way and collected with
 * `createRegistry`.
 *
 * @example
 * const upper: NodeKind = {
 *   spec: { kind: "text.upper", description: "Upper-cases input `text`.", effect: "pure", determinism: "strict",
 *           inputs: { text: { required: true } }, outputs: { out: {} }, configSchema: { type: "object" } },
 *   run: (ctx) => ({ out: String(ctx.inputs.text).toUpperCase() }),
 * };
 */
export interface NodeKind {
  readonly spec: NodeKindSpec;
  /**
   * Runs one attempt. Return the outputs by port (`{ out: value }`); a port left out is not emitted (its
   * dependants are skipped). Returning a ReadableStream or async iterable is short for `{ out: stream }`; a
   * stream on any port is forwarded chunk by chunk. Return synchronously when there is nothing to await: a
   * synchronous pure node costs no promise. Throw NonRetriableError / RetryAfterError to steer retries.
   */
  run(ctx: NodeContext): NodeResult | Promise<NodeResult>;
  /**
   * Optional, called once per node when a plan is built: checks and compiles the node's config. Its result
   * is `ctx.prepared`. A kind with `prepare` owns the expressions of its config: the kernel then does not
   * evaluate `spec.expressionConfig` fields itself (compile them here with `compiler`, evaluate them with
   * `ctx.evaluate`). References found by the compiler become edges of the graph.
   */
  prepare?(config: Readonly<Record<string, Json>>, compiler: ConfigCompiler): unknown;
  /** Name of a config field holding a node template that `ctx.runTemplate` runs (like `map`'s `node`). */
  readonly template?: string;
}

/** What `run` may return: outputs by port, or a stream (short for `{ out: stream }`), or nothing. */
export type NodeResult =
  | Readonly<Record<string, unknown>>
  | AsyncIterable<unknown>
  | ReadableStream<unknown>
  | undefined;

/** Compiles expressions inside a kind's config at plan time; errors make the plan invalid. */
export interface ConfigCompiler {
  /** A bare CEL expression (`${{ }}` around it is accepted too); `path` locates errors (`config.when`). */
  expression(source: string, path: string): CompiledExpression;
  /** A JSON value with `${{ }}` at any depth. */
  value(value: Json, path: string): CompiledValue;
  /** A duration such as `"5s"`, in milliseconds. */
  duration(text: string, path: string): number;
}

export type LogLevel = "debug" | "info" | "warn" | "error";

/** Structured logging; the default writes one JSON line per call to the console. */
export interface Logger {
  log(level: LogLevel, message: string, fields?: Readonly<Record<string, unknown>>): void;
}

/** What a node's `run` receives. One context per attempt. */
export interface NodeContext {
  readonly runId: string;
  readonly flowId: string;
  readonly nodeId: string;
  /** Deterministic key of this step (`fetch#1`); stable across resumes. */
  readonly stepKey: string;
  /** 1 for the first attempt, 2 for the first retry… */
  readonly attempt: number;
  /** Evaluated inputs by port. Treat as read-only: they may be shared with other nodes. */
  readonly inputs: Readonly<Record<string, unknown>>;
  /** Config, with `spec.expressionConfig` fields evaluated (with `input` in scope) unless the kind has `prepare`. */
  readonly config: Readonly<Record<string, unknown>>;
  /** What the kind's `prepare` returned for this node. */
  readonly prepared: unknown;
  /** The evaluated idempotency key, when the node declares one. */
  readonly idempotencyKey: string | undefined;
  /** Aborted by a node timeout, the run deadline, the caller's signal or a cancel; pass it to every await. */
  readonly signal: AbortSignal;
  readonly clock: Clock;
  /** Host bindings (Workers `env`). */
  readonly env: Readonly<Record<string, unknown>>;
  /** `fetch` to use (injected in tests; the global one otherwise). */
  readonly fetch: typeof fetch;
  log(level: LogLevel, message: string, data?: unknown): void;
  /** Sends a progress chunk (`node.chunk` event with `port: null`). */
  emit(chunk: unknown): void;
  /** Evaluates a compiled expression with the run's scope and `input` = this node's inputs. */
  evaluate(expression: CompiledExpression | CompiledValue): unknown;
  /** A cancellable sleep on this node's signal. */
  sleep(ms: number): Promise<void>;
  /**
   * Runs the kind's node template (see `NodeKind.template`) for one item; resolves to its result port's value.
   * The template runs under this node's signal, or under `options.signal` (which should follow this node's).
   */
  runTemplate(item: unknown, index: number, options?: { signal?: AbortSignal }): Promise<unknown>;
  /** Runs another flow of the deployment with `input` as its trigger; resolves to its output. */
  runSubflow(flowId: string, input: unknown): Promise<unknown>;
  /**
   * The host's `waitUntil` (on Workers, the request's): work handed to it may end after the run has answered, and
   * its failure does not fail the node. Undefined when the host has none: then await the work.
   */
  readonly waitUntil?: ((promise: Promise<unknown>) => void) | undefined;
  /**
   * The durable engine of a durable run (Cloudflare Workflows' steps, or the in-process stand-in); undefined
   * otherwise. Kinds that declare `ownStep` (sleep, wait) make their durable step with it, named `stepKey`.
   */
  readonly steps?: StepEngine | undefined;
}

/** A frozen map from kind name to kind. */
export type KindRegistry = Readonly<Record<string, NodeKind>>;
