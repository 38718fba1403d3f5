/**
 * The run store (see impl-docs/runs.md): runs recorded after they answered, into the `FlowsRuns` Durable Object
 * (`FLOWS_RUNS`), and the read side of the run API. The object class itself is Worker-only:
 * `hosts/workers/objects.ts` exports it.
 */
export { LIST_LIMITS, RUN_STATUSES, RUNS_PATH, registerRunsApi } from "./api.ts";
export {
  type ContinuingSpec,
  parseEventId,
  RECONNECT_MS,
  sseId,
} from "./continuing.ts";
export {
  INDEX_SHARDS,
  indexObjectName,
  indexShards,
  RUNS_BINDING,
  RUNS_CLASS,
  runObjectName,
  runsWrangler,
} from "./declaration.ts";
export { INPUT_BYTES, REDACTED_HEADER, storedInput, triggerOf } from "./input.ts";
export {
  type EventLogSummary,
  type IndexEntry,
  RECORD_LIMITS,
  type RecordedNode,
  type RunRecord,
  type RunTriggerRef,
  runRecord,
  type StoredEvent,
  type TruncatedMarker,
} from "./record.ts";
export {
  type ResolvedRunsPolicy,
  type RunRecording,
  type RunsOptions,
  RunsRecorder,
  resolveRunsPolicy,
  runStoreIn,
} from "./recording.ts";
export { decodeCursor, encodeCursor, RunStore, type RunsPage, type RunsStub } from "./store.ts";
