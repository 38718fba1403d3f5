import { shardOf } from "../../../capabilities/durable-objects/shards.ts";
import type { ContinuingSpec } from "./continuing.ts";
import { indexObjectName, indexShards, runObjectName } from "./declaration.ts";
import type { DurableWait, EntryQuery, ListPosition } from "./object.ts";
import { type IndexEntry, indexEntry, type RunRecord, type StoredEvent } from "./record.ts";

/**
 * The run store as the host and the API use it: the `FLOWS_RUNS` namespace behind plain RPC calls (no import of
 * `cloudflare:workers`, so this file loads anywhere). A run's record and events go to its own object, its index
 * line to one shard of its flow's index; a listing fans out to the flow's shards and merges them.
 */

/** The RPC surface of FlowsRuns that the store uses (a `DurableObjectNamespace<FlowsRuns>` stub fits). */
export interface RunsStub {
  saveRun(record: RunRecord, events?: readonly StoredEvent[]): Promise<void>;
  appendEvents(events: readonly StoredEvent[]): Promise<void>;
  getRun(now?: number): Promise<RunRecord | null>;
  readEvents(afterId?: number, limit?: number, now?: number): Promise<StoredEvent[]>;
  forget(): Promise<void>;
  startContinuing(spec: ContinuingSpec): Promise<{ ok: true } | { error: { code: string; message: string } }>;
  cancelRun(reason?: string): Promise<{ state: "cancelled" | "not_running" | "not_found"; status?: string }>;
  noteWait(step: string, wait: DurableWait | null): Promise<void>;
  waits(): Promise<DurableWait[]>;
  fetch(input: string | Request, init?: RequestInit): Promise<Response>;
  addEntry(entry: IndexEntry, keep: number, now?: number): Promise<string[]>;
  listEntries(query: EntryQuery, now?: number): Promise<IndexEntry[]>;
}

/** What the store needs of a Durable Object namespace: `getByName`, or `idFromName` and `get`. */
export interface RunsNamespace {
  getByName?(name: string): unknown;
  idFromName?(name: string): DurableObjectId;
  get?(id: DurableObjectId): unknown;
}

/** True when `value` looks like a Durable Object namespace. */
export function isRunsNamespace(value: unknown): value is RunsNamespace {
  const v = value as RunsNamespace | null | undefined;
  return (
    typeof v?.getByName === "function" || (typeof v?.idFromName === "function" && typeof v.get === "function")
  );
}

/** A page of a flow's runs, newest first; `cursor` gives the next page (null on the last). */
export interface RunsPage {
  runs: IndexEntry[];
  cursor: string | null;
}

export interface ListQuery {
  status?: string;
  limit: number;
  /** A `cursor` of an earlier page. */
  cursor?: string;
}

/** Decodes a listing cursor; undefined when it is not one this store wrote. */
export function decodeCursor(cursor: string): ListPosition | undefined {
  try {
    const text = atob(cursor.replace(/-/g, "+").replace(/_/g, "/"));
    const value = JSON.parse(text) as unknown;
    if (!Array.isArray(value) || value.length !== 2) return undefined;
    const [startedAt, runId] = value as unknown[];
    if (typeof startedAt !== "number" || !Number.isFinite(startedAt) || typeof runId !== "string")
      return undefined;
    return { startedAt, runId };
  } catch {
    return undefined;
  }
}

/** The cursor after `entry`: its start time and run id, as URL-safe base64 of JSON. */
export function encodeCursor(entry: ListPosition): string {
  return btoa(JSON.stringify([entry.startedAt, entry.runId]))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");
}

/** Newest first; equal start times by run id, descending (the order of every shard). */
const newestFirst = (a: ListPosition, b: ListPosition): number =>
  b.startedAt - a.startedAt || (a.runId < b.runId ? 1 : a.runId > b.runId ? -1 : 0);

export interface RunStoreOptions {
  /** The clock that decides what has expired; `Date.now` by default (the host passes its runs' clock). */
  clock?: { now(): number };
}

/**
 * The run store over a `FLOWS_RUNS` namespace.
 * @example const store = new RunStore(env.FLOWS_RUNS); await store.save(record, events, 1000)
 */
export class RunStore {
  readonly #namespace: RunsNamespace;
  readonly #now: () => number;

  constructor(namespace: RunsNamespace, options: RunStoreOptions = {}) {
    this.#namespace = namespace;
    const clock = options.clock;
    this.#now = clock ? () => clock.now() : Date.now;
  }

  #stub(name: string): RunsStub {
    const ns = this.#namespace;
    return (ns.getByName ? ns.getByName(name) : ns.get!(ns.idFromName!(name))) as RunsStub;
  }

  /** The object of one run (record and events). */
  run(runId: string): RunsStub {
    return this.#stub(runObjectName(runId));
  }

  /**
   * Records a finished run: one call to its object (record and events) and one to its index shard, together;
   * then forgets the runs the shard dropped to stay within `maxRuns`.
   */
  async save(record: RunRecord, events: readonly StoredEvent[], maxRuns: number): Promise<void> {
    await Promise.all([this.run(record.runId).saveRun(record, events), this.index(record, maxRuns)]);
  }

  /**
   * Adds a finished run's line to its flow's index shard, then forgets the runs the shard dropped to stay within
   * `maxRuns` (a continuing run's object calls it itself: its record is already in place).
   */
  async index(record: RunRecord, maxRuns: number): Promise<void> {
    const shards = indexShards(maxRuns);
    const shard = this.#stub(indexObjectName(record.flowId, shardOf(record.runId, shards)));
    const dropped = await shard.addEntry(indexEntry(record), Math.ceil(maxRuns / shards), this.#now());
    await Promise.all(dropped.map((runId) => this.run(runId).forget()));
  }

  /** A run's record, or null when it is not (or no longer) stored. */
  get(runId: string): Promise<RunRecord | null> {
    return this.run(runId).getRun(this.#now());
  }

  /** A run's events with an id above `afterId`, in order, at most `limit`. */
  events(runId: string, afterId = 0, limit?: number): Promise<StoredEvent[]> {
    return this.run(runId).readEvents(afterId, limit, this.#now());
  }

  /**
   * A page of one flow's runs, newest first: every shard of the flow's index is asked for the `limit` + 1 runs
   * after the cursor, and the answers are merged. The cursor is a position (start time, run id), so a page is
   * stable: runs recorded meanwhile are newer and come before the first page, never into a later one.
   */
  async list(flowId: string, query: ListQuery, maxRuns: number): Promise<RunsPage> {
    const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
    const shardQuery: EntryQuery = { limit: query.limit + 1 };
    if (after) shardQuery.after = after;
    if (query.status !== undefined) shardQuery.status = query.status;
    const now = this.#now();
    const shards = Array.from({ length: indexShards(maxRuns) }, (_, i) =>
      this.#stub(indexObjectName(flowId, i)).listEntries(shardQuery, now),
    );
    const merged = (await Promise.all(shards)).flat().sort(newestFirst);
    const runs = merged.slice(0, query.limit);
    const last = runs.at(-1);
    return { runs, cursor: merged.length > query.limit && last ? encodeCursor(last) : null };
  }
}
