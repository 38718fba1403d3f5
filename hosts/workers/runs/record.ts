import type { ErrorBody, NodeTiming, RunEvent, RunResult, RunStatus } from "../../../kernel/index.ts";
import { toEnvelope } from "../../../kernel/index.ts";

/**
 * What the run store keeps of one run: the record (status, timings, per-node state, output or error) and its
 * event log, built from the kernel's RunResult and events with every part size-capped. Pure: no I/O, so the
 * object, the host and the tests share one definition.
 */

/** Size caps of what is stored per run (bytes of UTF-8 JSON). A value past its cap is replaced by a marker. */
export const RECORD_LIMITS = Object.freeze({
  /** The run's output (`record.output`). */
  outputBytes: 64 * 1024,
  /** The error envelope, and each node's error. */
  errorBytes: 16 * 1024,
  /** One event's `data`. */
  eventBytes: 16 * 1024,
  /** Events per run; past it, only the run's last events (`run.end` and the final `end` or `error`) are kept. */
  events: 2_000,
  /** All events' `data` of one run together. */
  eventLogBytes: 1024 * 1024,
  /**
   * Events of a continuing run (`onDisconnect: continue`), stored as they come so that a client can resume: past
   * this, or past `liveLogBytes`, later events still go to the clients following live but are not stored (a
   * resume then misses them; the record's `events.truncated` says so).
   */
  liveEvents: 100_000,
  liveLogBytes: 32 * 1024 * 1024,
});

/** Put in place of a value that was over its cap: what it was (its size), never a silent cut. */
export interface TruncatedMarker {
  truncated: true;
  /** Size of the value's JSON, in bytes. */
  bytes: number;
}

/** The trigger that started a run: its type (`http`, `queue`, `cron`, …) and the trigger's id in the flow. */
export interface RunTriggerRef {
  type: string;
  id: string;
}

/** One node of a recorded run: its timing, and the error when it failed. */
export interface RecordedNode extends NodeTiming {
  error?: ErrorBody | TruncatedMarker;
}

/**
 * A run's status in the store: how it ended, or `running` (a continuing run, or a durable run, still going);
 * `waiting` is never stored: the run API and the viewer show a durable run `running` with noted waits so.
 */
export type RecordStatus = RunStatus | "running" | "waiting";

/** A recorded run, as `GET /_flows/runs/:id` answers it. */
export interface RunRecord {
  runId: string;
  flowId: string;
  flowVersion: string;
  trigger: RunTriggerRef;
  /** `running` for a continuing run (`onDisconnect: continue`) or a durable run still going; else how it ended. */
  status: RecordStatus;
  startedAt: number;
  endedAt: number;
  durationMs: number;
  /** The trigger event the run got (`./input.ts`: JSON, credentials left out, capped), for a rerun. */
  input?: unknown;
  /** The run this one reran (`POST /_flows/runs/:id/rerun`). */
  rerunOf?: string;
  /** Set while a continuing run is owned by its object (until it ends). */
  continuing?: true;
  /** A durable run (a Workflow instance, hosts/workers/durable/history.ts): its record is written by the instance. */
  durable?: true;
  /** Nodes that started (or were skipped), by id. */
  nodes: Record<string, RecordedNode>;
  /** The output of an `ok` run (JSON; streams as `{ stream: true, … }`), or a marker when over the cap. */
  output?: unknown;
  /** The error envelope's body of a run that did not end `ok`. */
  error?: ErrorBody | TruncatedMarker;
  /** The event log: how many events the run had, how many are stored, the last id. */
  events: EventLogSummary;
  /** When the store deletes the run (ms since the epoch). */
  expiresAt: number;
}

export interface EventLogSummary {
  /** Events the run produced that reached the store (0 when none were asked for). */
  count: number;
  /** Events stored (at most `RECORD_LIMITS.events`). */
  stored: number;
  /** The last id stored (the SSE stream's `id:`), 0 when none. */
  lastId: number;
  /** Set when events were left out because the log was full. */
  truncated?: true;
}

/**
 * One event of the log, as the SSE stream sends it: `id` is its `id:` line (the kernel's `seq`; the final `end`
 * or `error` frame takes the next one), `type` its `event:` line and `data` its `data:` (JSON text).
 */
export interface StoredEvent {
  id: number;
  type: string;
  data: string;
}

/** A line of a flow's index (one per recorded run), as `GET /_flows/runs` lists it. */
export interface IndexEntry {
  runId: string;
  flowId: string;
  flowVersion: string;
  trigger: RunTriggerRef;
  status: RecordStatus;
  startedAt: number;
  endedAt: number;
  expiresAt: number;
}

/** The UTF-8 length of a string, counted without encoding it. */
export function utf8Bytes(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code < 0xdc00 && i + 1 < text.length) {
      bytes += 4; // a surrogate pair: one code point of four bytes
      i++;
    } else bytes += 3;
  }
  return bytes;
}

/** `JSON.stringify(value)`, or undefined when it cannot be (a cycle, a BigInt): never throws. */
function jsonText(value: unknown): string | undefined {
  try {
    return JSON.stringify(value);
  } catch {
    return undefined;
  }
}

/**
 * `value` as JSON text within `maxBytes`, or the JSON of a `{ truncated: true, bytes }` marker (`bytes: -1` for a
 * value JSON cannot hold).
 * @example cappedJson({ a: "x".repeat(100) }, 10) // '{"truncated":true,"bytes":109}'
 */
export function cappedJson(value: unknown, maxBytes: number): string {
  const text = jsonText(value);
  if (text === undefined) return JSON.stringify({ truncated: true, bytes: -1 } satisfies TruncatedMarker);
  const bytes = utf8Bytes(text);
  return bytes <= maxBytes ? text : JSON.stringify({ truncated: true, bytes } satisfies TruncatedMarker);
}

const capped = (value: unknown, maxBytes: number): unknown => JSON.parse(cappedJson(value, maxBytes));

/** The small fields of an event kept in the marker that replaces an event over its cap. */
const MARKER_FIELDS = ["type", "seq", "runId", "at", "nodeId", "status", "durationMs"] as const;

/**
 * One SSE frame as a stored event: its data capped at `RECORD_LIMITS.eventBytes`. Past the cap, `data` keeps the
 * event's small fields (type, seq, node, status) beside `truncated: true` and the size.
 */
export function storedEvent(id: number, type: string, value: unknown): StoredEvent {
  const text = jsonText(value);
  const bytes = text === undefined ? -1 : utf8Bytes(text);
  if (text !== undefined && bytes <= RECORD_LIMITS.eventBytes) return { id, type, data: text };
  const marker: Record<string, unknown> = {};
  if (typeof value === "object" && value !== null) {
    for (const key of MARKER_FIELDS) {
      const field = (value as Record<string, unknown>)[key];
      if (field !== undefined && typeof field !== "object") marker[key] = field;
    }
  }
  return { id, type, data: JSON.stringify({ ...marker, truncated: true, bytes }) };
}

/**
 * The final frame of a run's SSE stream: `end` with the output of an `ok` run, else `error` with the envelope.
 * Its id is the one after the last event's.
 */
export function endFrame(result: RunResult): { type: "end" | "error"; data: unknown } {
  if (result.status === "ok")
    return {
      type: "end",
      data: { runId: result.runId, status: result.status, output: result.output ?? null },
    };
  return { type: "error", data: toEnvelope(result.error, result.runId) };
}

/**
 * The event log of a run from its kernel events and result: every event as its SSE frame (`id` = `seq`), then the
 * final `end` or `error` frame; within `RECORD_LIMITS` (the run's last events are always kept: a reader sees how it
 * ended). `events` undefined: none were collected, and the log is empty. `missed`: events the collector already
 * left out (they count, and mark the log truncated).
 */
export function eventLog(
  events: readonly RunEvent[] | undefined,
  result: RunResult,
  missed = 0,
): { events: StoredEvent[]; summary: EventLogSummary } {
  if (events === undefined) return { events: [], summary: { count: 0, stored: 0, lastId: 0 } };
  const frames: StoredEvent[] = events.map((event) => storedEvent(event.seq, event.type, event));
  const lastSeq = events.at(-1)?.seq ?? 0;
  const end = endFrame(result);
  frames.push(storedEvent(lastSeq + 1, end.type, end.data));
  const keep: StoredEvent[] = [];
  let bytes = 0;
  let truncated = missed > 0;
  // The tail (run.end and end/error) is reserved first, so a full log still says how the run ended.
  const tail = frames.slice(-2).filter((f) => f.type === "run.end" || f.id === lastSeq + 1);
  const tailBytes = tail.reduce((sum, f) => sum + utf8Bytes(f.data), 0);
  for (const frame of frames.slice(0, frames.length - tail.length)) {
    const size = utf8Bytes(frame.data);
    if (
      keep.length + tail.length >= RECORD_LIMITS.events ||
      bytes + size + tailBytes > RECORD_LIMITS.eventLogBytes
    ) {
      truncated = true;
      continue;
    }
    keep.push(frame);
    bytes += size;
  }
  keep.push(...tail);
  const summary: EventLogSummary = {
    count: frames.length + missed,
    stored: keep.length,
    lastId: keep.at(-1)?.id ?? 0,
  };
  if (truncated) summary.truncated = true;
  return { events: keep, summary };
}

/** Per-node state: the kernel's timings, with each failed node's error (from its `node.error`, else the run's). */
function recordedNodes(result: RunResult, events: readonly RunEvent[] | undefined) {
  const nodes: Record<string, RecordedNode> = {};
  for (const [id, timing] of Object.entries(result.timings.nodes)) nodes[id] = { ...timing };
  for (const event of events ?? []) {
    if (event.type === "node.error" && nodes[event.nodeId])
      nodes[event.nodeId]!.error = capped(event.error, RECORD_LIMITS.errorBytes) as ErrorBody;
  }
  const failing = result.error?.nodeId;
  if (failing && nodes[failing] && !nodes[failing].error) {
    nodes[failing].error = capped(toEnvelope(result.error, result.runId).error, RECORD_LIMITS.errorBytes) as
      | ErrorBody
      | TruncatedMarker;
  }
  return nodes;
}

/** What the host knows of a run besides its result. */
export interface RunIdentity {
  flowId: string;
  flowVersion: string;
  trigger: RunTriggerRef;
  /** How long the record is kept after the run ended, ms. */
  retentionMs: number;
  /** The stored input (`storedInput` of `./input.ts`), when kept. */
  input?: unknown;
  /** The run this one reran. */
  rerunOf?: string;
}

/**
 * The record and event log of a finished run, ready for the store: per-node timings and errors, the output of an
 * `ok` run or the error envelope (never a raw message: `toEnvelope`), each within `RECORD_LIMITS`.
 * @example const { record, events } = runRecord({ flowId, flowVersion, trigger, retentionMs }, result, collected)
 */
export function runRecord(
  identity: RunIdentity,
  result: RunResult,
  events?: readonly RunEvent[],
  missed = 0,
): { record: RunRecord; events: StoredEvent[] } {
  const log = eventLog(events, result, missed);
  const { startedAt, endedAt, durationMs } = result.timings;
  const record: RunRecord = {
    runId: result.runId,
    flowId: identity.flowId,
    flowVersion: identity.flowVersion,
    trigger: identity.trigger,
    status: result.status,
    startedAt,
    endedAt,
    durationMs,
    nodes: recordedNodes(result, events),
    events: log.summary,
    expiresAt: endedAt + identity.retentionMs,
  };
  if (identity.input !== undefined) record.input = identity.input;
  if (identity.rerunOf !== undefined) record.rerunOf = identity.rerunOf;
  if (result.status === "ok") {
    if (result.output !== undefined) record.output = capped(result.output, RECORD_LIMITS.outputBytes);
  } else
    record.error = capped(toEnvelope(result.error, result.runId).error, RECORD_LIMITS.errorBytes) as
      | ErrorBody
      | TruncatedMarker;
  return { record, events: log.events };
}

/** The index line of a record. */
export function indexEntry(record: RunRecord): IndexEntry {
  return {
    runId: record.runId,
    flowId: record.flowId,
    flowVersion: record.flowVersion,
    trigger: record.trigger,
    status: record.status,
    startedAt: record.startedAt,
    endedAt: record.endedAt,
    expiresAt: record.expiresAt,
  };
}
