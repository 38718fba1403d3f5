import { DURABLE_LIMITS } from "../../../flows/ir/durable.ts";
import { FlowError, type RunResult, toEnvelope } from "../../../kernel/index.ts";
import type { DurableWait } from "../runs/object.ts";
import { type IndexEntry, type RunRecord, type RunTriggerRef, runRecord } from "../runs/record.ts";
import type { ListQuery, RunStore, RunsPage } from "../runs/store.ts";

/**
 * A durable run's history in the run store, so that it is listed and shown as any other run: its Workflow instance
 * writes the record `running` on every replay (the same record each time: the start is the instance's own
 * timestamp), and the final one when the run ends; a cancel through the run API writes it `cancelled`. Every
 * durable run is recorded, whatever its status, unless its flow says `runs: { record: none }`: a run that lives for
 * days is one a user looks for. A record that is not final leaves its waits to the run's notes (`./waits.ts`).
 */

/** What stays the same for every record of one durable run. */
export interface DurableIdentity {
  runId: string;
  flowId: string;
  flowVersion: string;
  trigger: RunTriggerRef;
  /** The instance's creation time: the run's start, whichever replay writes the record. */
  startedAt: number;
  /** The trigger event as stored (`storedInput`). */
  input: unknown;
  retentionMs: number;
  maxRuns: number;
}

/**
 * How long a record that is not final is kept: past any sleep or wait the run may still be in, then its retention
 * (every replay writes it again, so a run that goes on keeps it).
 */
const runningExpiry = (now: number, retentionMs: number): number =>
  now + Math.max(DURABLE_LIMITS.sleepMs, DURABLE_LIMITS.waitMs) + retentionMs;

/** The record of a durable run that is going on. */
export function runningRecord(identity: DurableIdentity, now: number): RunRecord {
  return {
    runId: identity.runId,
    flowId: identity.flowId,
    flowVersion: identity.flowVersion,
    trigger: identity.trigger,
    status: "running",
    durable: true,
    startedAt: identity.startedAt,
    endedAt: 0,
    durationMs: 0,
    input: identity.input,
    nodes: {},
    events: { count: 0, stored: 0, lastId: 0 },
    expiresAt: runningExpiry(now, identity.retentionMs),
  };
}

/** The final record of a durable run: the kernel's result of its last replay, from the instance's start. */
export function endedRecord(identity: DurableIdentity, result: RunResult): RunRecord {
  const { record } = runRecord(identity, result);
  record.durable = true;
  record.startedAt = identity.startedAt;
  record.durationMs = Math.max(0, record.endedAt - identity.startedAt);
  return record;
}

/** `record` ended by a cancel through the run API at `now`. */
export function cancelledRecord(record: RunRecord, now: number, retentionMs: number): RunRecord {
  const error = new FlowError("RUN_CANCELLED", "run cancelled through the run API", { runId: record.runId });
  return {
    ...record,
    status: "cancelled",
    endedAt: now,
    durationMs: Math.max(0, now - record.startedAt),
    error: toEnvelope(error, record.runId).error,
    expiresAt: now + retentionMs,
  };
}

/** Records a durable run going on (idempotent: every replay calls it). */
export function recordRunning(store: RunStore, identity: DurableIdentity, now: number): Promise<void> {
  return store.save(runningRecord(identity, now), [], identity.maxRuns);
}

/** Records a durable run's end. */
export function recordEnded(store: RunStore, identity: DurableIdentity, result: RunResult): Promise<void> {
  return store.save(endedRecord(identity, result), [], identity.maxRuns);
}

/** A record or index line as the run API and the viewer show it: `waiting`, with for what, while the run waits. */
export function withWaits<T extends RunRecord | IndexEntry>(
  entry: T,
  waits: readonly DurableWait[],
): T & { waitingFor?: DurableWait[] } {
  if (entry.status !== "running" || waits.length === 0) return entry;
  const shown: T & { waitingFor?: DurableWait[] } = { ...entry, waitingFor: [...waits] };
  shown.status = "waiting";
  return shown;
}

/**
 * A page of a flow's runs from the store, each durable run going on shown `waiting` when it waits. `waiting` is not
 * in the index: `status: "waiting"` lists the page of running runs and keeps those that wait (a page may then hold
 * fewer than `limit`; its cursor still goes on from where the store stopped).
 */
export async function listRuns(
  store: RunStore,
  flowId: string,
  query: ListQuery,
  maxRuns: number,
  durable: boolean,
): Promise<RunsPage> {
  if (query.status !== "waiting")
    return pageWithWaits(store, await store.list(flowId, query, maxRuns), durable);
  if (!durable) return { runs: [], cursor: null };
  const page = await pageWithWaits(
    store,
    await store.list(flowId, { ...query, status: "running" }, maxRuns),
    true,
  );
  return { ...page, runs: page.runs.filter((run) => run.status === "waiting") };
}

/** A page of a flow's runs with its durable runs' waits read from their objects (one call per run going on). */
export async function pageWithWaits(store: RunStore, page: RunsPage, durable: boolean): Promise<RunsPage> {
  if (!durable) return page;
  const runs = await Promise.all(
    page.runs.map(async (entry) =>
      entry.status === "running" ? withWaits(entry, await store.run(entry.runId).waits()) : entry,
    ),
  );
  return { ...page, runs };
}
