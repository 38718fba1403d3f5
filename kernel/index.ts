/**
 * The kernel: runs flow plans. This file is the only public surface of `kernel/`.
 *
 * @example
 * import { createPlan, runFlow } from "flows-runtime/kernel";
 * const plan = createPlan(doc); // once per flow
 * const result = await runFlow(plan, { trigger: { body }, signal: request.signal, env });
 */

// The CEL library is loaded on demand (flows/expr/cel-loader.ts): a host awaits `loadCel()` before its first run.
export { celLoaded, loadCel } from "../flows/expr/cel-loader.ts";
export { deferPlan } from "./deferred-plan.ts";
export {
  type DurableEvent,
  type DurableStepConfig,
  MAX_STEP_OUTPUT_BYTES,
  type StepEngine,
} from "./durable.ts";
export { flowEffect } from "./effect.ts";
export {
  CODE_DEFAULTS,
  type ErrorBody,
  type ErrorEnvelope,
  FlowError,
  type FlowErrorOptions,
  isFlowError,
  isRetriable,
  NonRetriableError,
  RetryAfterError,
  toEnvelope,
  toFlowError,
} from "./errors.ts";
export {
  type NodeChunkEvent,
  type NodeEndEvent,
  type NodeErrorEvent,
  type NodeOutputEvent,
  type NodeRetryEvent,
  type NodeSkippedEvent,
  type NodeStartEvent,
  type NodeTiming,
  type RunEndEvent,
  type RunEvent,
  type RunEventType,
  type RunStartEvent,
  type RunStatus,
  type RunTimings,
  type SkipReason,
  type SkipStep,
  toEventStream,
} from "./events.ts";
export {
  DEFAULT_GRACE_MS,
  newRunId,
  type RunHandle,
  type RunOptions,
  type RunOutput,
  runFlow,
  startRun,
} from "./executor.ts";
export { MemoryJournal, type RunJournal, type StepRecord, stepKey } from "./journal.ts";
export { BUILTIN_KINDS } from "./kinds/builtins.ts";
export { DEFAULT_MAP_CONCURRENCY } from "./kinds/map.ts";
export { catalogOf, createRegistry, lookupKind } from "./kinds/registry.ts";
export * from "./kinds/specs.ts";
export type {
  ConfigCompiler,
  KindRegistry,
  Logger,
  LogLevel,
  NodeContext,
  NodeKind,
  NodeResult,
} from "./kinds/types.ts";
export {
  type ClaimResult,
  DEFAULT_IDEMPOTENCY_TTL_MS,
  type IdempotencyLedger,
  MemoryLedger,
} from "./ledger.ts";
export { MemorySteps, type MemoryStepsOptions, type PendingWait, waitTimeout } from "./memory-steps.ts";
export { MAX_SUBFLOW_DEPTH } from "./nested.ts";
export {
  createPlan,
  DEFAULT_DEADLINE_MS,
  type ExecutionPlan,
  flowDeterminism,
  type PlanOptions,
} from "./plan.ts";
export { explainSkippedOutput, type RunResult, streamOf } from "./result.ts";
export { type RetrySettings, resolveRetry, retryDelay } from "./retry.ts";
export { byteLengthOf, ChunkStream, isStreamLike, toByteStream, withByteLength } from "./stream.ts";
export {
  abortable,
  type Clock,
  parseDuration,
  sleep,
  systemClock,
  systemTimers,
  type Timers,
} from "./time.ts";
