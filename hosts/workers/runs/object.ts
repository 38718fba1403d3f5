import { DurableObject } from "cloudflare:workers";
import { type Migrations, migrate } from "../../../capabilities/durable-objects/migrations.ts";
import { toEnvelope } from "../../../kernel/index.ts";
import { hostError } from "../codes.ts";
import { type ContinuingSpec, continuingFlow, LiveRun, parseEventId, storedStream } from "./continuing.ts";
import { type IndexEntry, type RunRecord, type StoredEvent, storedEvent } from "./record.ts";
import { runStoreIn } from "./recording.ts";

/**
 * The run store's Durable Object (`FlowsRuns`, binding `FLOWS_RUNS`, SQLite storage). One class, two roles by
 * object name (see `./declaration.ts`):
 * - `run:<runId>`: one run, its record and its event log (ids as the SSE stream's), appendable while the run goes
 *   on and readable after an id. It deletes itself (`deleteAll`) when the record expires.
 * - `index:<flowId>:<shard>`: a shard of a flow's list of runs (one line per run), newest first, trimmed to its
 *   share of `maxRuns`; expired lines are dropped by its alarm.
 * Every method's SQL runs synchronously, so each call is atomic for the object. Times come from the caller (`now`,
 * the host's clock: injectable in tests); the alarm passes `Date.now()`. Reads never create storage: an object
 * that was never written stays empty.
 */

export const RUNS_MIGRATIONS: Migrations = [
  [
    `CREATE TABLE IF NOT EXISTS run (
      id INTEGER PRIMARY KEY CHECK (id = 1), run_id TEXT NOT NULL, record TEXT NOT NULL,
      expires_at INTEGER NOT NULL)`,
    "CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY, type TEXT NOT NULL, data TEXT NOT NULL)",
    `CREATE TABLE IF NOT EXISTS entries (
      run_id TEXT PRIMARY KEY, flow_id TEXT NOT NULL, flow_version TEXT NOT NULL, trigger_type TEXT NOT NULL,
      trigger_id TEXT NOT NULL, status TEXT NOT NULL, started_at INTEGER NOT NULL, ended_at INTEGER NOT NULL,
      expires_at INTEGER NOT NULL)`,
    "CREATE INDEX IF NOT EXISTS entries_order ON entries (started_at DESC, run_id DESC)",
    "CREATE INDEX IF NOT EXISTS entries_expiry ON entries (expires_at)",
  ],
];

/** A position in a listing, newest first: entries strictly older than it come next. */
export interface ListPosition {
  startedAt: number;
  runId: string;
}

/** One shard's part of a listing. */
export interface EntryQuery {
  status?: string;
  /** Entries after this position (older), exclusive; from the newest without it. */
  after?: ListPosition;
  limit: number;
}

type EntryRow = {
  run_id: string;
  flow_id: string;
  flow_version: string;
  trigger_type: string;
  trigger_id: string;
  status: string;
  started_at: number;
  ended_at: number;
  expires_at: number;
};

const entryOf = (row: EntryRow): IndexEntry => ({
  runId: row.run_id,
  flowId: row.flow_id,
  flowVersion: row.flow_version,
  trigger: { type: row.trigger_type, id: row.trigger_id },
  status: row.status as IndexEntry["status"],
  startedAt: row.started_at,
  endedAt: row.ended_at,
  expiresAt: row.expires_at,
});

/** Most events (or index lines) one call returns. */
export const MAX_ROWS_PER_READ = 1_000;

/** The run store object: see the comment at the top of this file. */
/** What a durable run waits for: an event of a type, or the end of a sleep; `until` is an RFC 3339 time. */
export interface DurableWait {
  step: string;
  kind: "event" | "sleep";
  event?: string;
  until: string;
}

const WAITS_KEY = "durable-waits";

export class FlowsRuns extends DurableObject {
  #schema = false;
  /** The continuing run this object owns while it goes on (`onDisconnect: continue`). */
  #live: LiveRun | undefined;

  /** Creates the tables (once per instance, and again after `deleteAll`). Only writers call it. */
  #ready(): SqlStorage {
    if (!this.#schema) {
      migrate(this.ctx.storage, RUNS_MIGRATIONS);
      this.#schema = true;
    }
    return this.ctx.storage.sql;
  }

  /** The SQL storage when `table` exists, else undefined (a reader on an object never written). */
  #reading(table: string): SqlStorage | undefined {
    if (this.#schema) return this.ctx.storage.sql;
    const sql = this.ctx.storage.sql;
    const found = sql
      .exec("SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?", table)
      .toArray();
    return found.length > 0 ? sql : undefined;
  }

  // ---- run:<runId> ----

  /**
   * Stores (or replaces) the run's record and appends `events` (an id already stored is kept as it is, so a
   * retried or repeated save is harmless); the object deletes itself at `record.expiresAt`.
   */
  async saveRun(record: RunRecord, events: readonly StoredEvent[] = []): Promise<void> {
    const sql = this.#ready();
    this.ctx.storage.transactionSync(() => {
      sql.exec(
        "INSERT OR REPLACE INTO run (id, run_id, record, expires_at) VALUES (1, ?, ?, ?)",
        record.runId,
        JSON.stringify(record),
        record.expiresAt,
      );
      for (const e of events)
        sql.exec("INSERT OR IGNORE INTO events (id, type, data) VALUES (?, ?, ?)", e.id, e.type, e.data);
    });
    // A durable run's final record ends its waits (a run cancelled or failed mid-wait never clears its note).
    if (record.durable && record.status !== "running") await this.ctx.storage.delete(WAITS_KEY);
    await this.ctx.storage.setAlarm(record.expiresAt);
  }

  /** Appends events to the log of a run being recorded (ids already stored are kept). */
  appendEvents(events: readonly StoredEvent[]): void {
    const sql = this.#ready();
    this.ctx.storage.transactionSync(() => {
      for (const e of events)
        sql.exec("INSERT OR IGNORE INTO events (id, type, data) VALUES (?, ?, ?)", e.id, e.type, e.data);
    });
  }

  /**
   * A durable run's sleep or wait, noted by its Workflow instance while it lasts (`wait` null: it is over): the
   * run API answers `waiting` with them (Miniflare's engine never reports `waiting` itself). Keyed by step name.
   */
  async noteWait(step: string, wait: DurableWait | null): Promise<void> {
    const waits = ((await this.ctx.storage.get<Record<string, DurableWait>>(WAITS_KEY)) ?? {}) as Record<
      string,
      DurableWait
    >;
    if (wait) waits[step] = wait;
    else delete waits[step];
    if (Object.keys(waits).length === 0) await this.ctx.storage.delete(WAITS_KEY);
    else await this.ctx.storage.put(WAITS_KEY, waits);
  }

  /** The durable run's sleeps and waits in progress (see `noteWait`). */
  async waits(): Promise<DurableWait[]> {
    return Object.values((await this.ctx.storage.get<Record<string, DurableWait>>(WAITS_KEY)) ?? {});
  }

  /** The run's record, or null (never recorded, or expired at `now`). */
  getRun(now: number = Date.now()): RunRecord | null {
    const sql = this.#reading("run");
    const row = sql
      ?.exec<{ record: string }>("SELECT record FROM run WHERE id = 1 AND expires_at > ?", now)
      .toArray()[0];
    return row ? (JSON.parse(row.record) as RunRecord) : null;
  }

  /** Up to `limit` events with an id above `afterId`, in order (the events after a `Last-Event-ID`). */
  readEvents(afterId = 0, limit = MAX_ROWS_PER_READ, now: number = Date.now()): StoredEvent[] {
    const sql = this.#reading("run");
    if (!sql) return [];
    const live = sql.exec("SELECT 1 FROM run WHERE id = 1 AND expires_at > ?", now).toArray();
    if (live.length === 0) return [];
    return sql
      .exec<StoredEvent & Record<string, SqlStorageValue>>(
        "SELECT id, type, data FROM events WHERE id > ? ORDER BY id LIMIT ?",
        afterId,
        Math.max(0, Math.min(limit, MAX_ROWS_PER_READ)),
      )
      .toArray()
      .map((row) => ({ id: row.id, type: row.type, data: row.data }));
  }

  // ---- a continuing run (run:<runId>, onDisconnect: continue) ----

  /**
   * Starts a continuing run in this object (see `./continuing.ts`): it executes the flow of this module's registry,
   * stores each event as it comes, and records the run when it ends; `follow` streams it. A second start of the
   * same run is a no-op. Answers an error envelope's body instead of throwing (RPC keeps no error class).
   */
  startContinuing(spec: ContinuingSpec): { ok: true } | { error: { code: string; message: string } } {
    if (this.#live || this.#record()) return { ok: true };
    const flow = continuingFlow(spec.flowId);
    if (!flow || flow.flowVersion !== spec.flowVersion)
      return {
        error: {
          code: "RUN_OWNER_MISSING",
          message: `the FlowsRuns object's module does not serve flow \`${spec.flowId}\` version ${spec.flowVersion}: export FlowsRuns from the module whose createWorker serves it`,
        },
      };
    const sql = this.#ready();
    const storage = {
      append: (e: StoredEvent) => {
        sql.exec("INSERT OR IGNORE INTO events (id, type, data) VALUES (?, ?, ?)", e.id, e.type, e.data);
      },
      saveRecord: (record: RunRecord) => this.#writeRecord(record),
      read: (afterId: number) => this.#readAll(afterId),
      finish: async (record: RunRecord, maxRuns: number) => {
        await this.ctx.storage.setAlarm(record.expiresAt);
        const clock = flow.runOptions(this.env as object).clock;
        await runStoreIn(this.env as object, flow.runs, clock)?.index(record, maxRuns);
      },
    };
    const clock = flow.runOptions(this.env as object).clock;
    const live = new LiveRun(spec, flow, this.env as object, storage, clock?.now() ?? Date.now());
    this.#live = live;
    this.ctx.waitUntil(
      live.done
        .catch(() => undefined)
        .finally(() => {
          if (this.#live === live) this.#live = undefined;
        }),
    );
    return { ok: true };
  }

  /**
   * `GET /follow?after=<id>&flow=<flowId>`: the run's events after that id as SSE, then live until it ends. 404 for
   * a run this object does not hold (or of another flow than `flow`), 204 for a run that ended with nothing after
   * the id (an EventSource stops reconnecting on 204).
   */
  override async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname !== "/follow") return new Response(null, { status: 404 });
    const after = parseEventId(url.searchParams.get("after") ?? "0")?.afterId ?? 0;
    const flow = url.searchParams.get("flow");
    const live = this.#live && !this.#live.ended ? this.#live : undefined;
    const record = live ? this.#record() : this.#settled();
    if (!record || (flow && record.flowId !== flow)) return new Response(null, { status: 404 });
    const headers = { "content-type": "text/event-stream; charset=utf-8" };
    if (live) return new Response(live.follow(after), { headers });
    const events = this.#readAll(after);
    if (events.length === 0) return new Response(null, { status: 204 });
    return new Response(storedStream(record!.runId, events), { headers });
  }

  /**
   * Cancels the continuing run this object owns; resolves when it has ended. `not_running`: the run is stored but
   * not going on here (ended, or a run that lived in its request); `not_found`: no such run.
   */
  async cancelRun(
    reason = "cancelled through the run API",
  ): Promise<{ state: "cancelled" | "not_running" | "not_found"; status?: string }> {
    const live = this.#live;
    if (live && !live.ended) {
      const result = await live.cancel(reason);
      return { state: "cancelled", status: result.status };
    }
    const record = this.#settled();
    return record ? { state: "not_running", status: record.status } : { state: "not_found" };
  }

  #writeRecord(record: RunRecord): void {
    this.#ready().exec(
      "INSERT OR REPLACE INTO run (id, run_id, record, expires_at) VALUES (1, ?, ?, ?)",
      record.runId,
      JSON.stringify(record),
      record.expiresAt,
    );
  }

  /** The stored record (any status), or undefined; not expired. */
  #record(): RunRecord | undefined {
    // Not by the wall clock: the host's clock may be injected; an expired run is deleted by the alarm.
    return this.getRun(0) ?? undefined;
  }

  /**
   * The record of a run that is not live here. A record still `running` without its live run was cut off (the
   * object was reset, e.g. by a deploy): it is closed as failed `RUN_INTERRUPTED`, with its final `error` frame.
   */
  #settled(): RunRecord | undefined {
    const record = this.#record();
    // A durable run is not owned by this object: its Workflow instance writes its record.
    if (record?.status !== "running" || record.durable) return record;
    const now = Date.now();
    const lastId =
      this.ctx.storage.sql.exec<{ id: number | null }>("SELECT MAX(id) AS id FROM events").one().id ?? 0;
    const error = hostError(
      "RUN_INTERRUPTED",
      "the run's Durable Object was reset while the run went on (e.g. by a deploy): it did not finish",
    );
    const envelope = toEnvelope(error, record.runId);
    const frame = storedEvent(lastId + 1, "error", envelope);
    this.ctx.storage.sql.exec(
      "INSERT OR IGNORE INTO events (id, type, data) VALUES (?, ?, ?)",
      frame.id,
      frame.type,
      frame.data,
    );
    const closed: RunRecord = {
      ...record,
      status: "failed",
      endedAt: now,
      durationMs: now - record.startedAt,
      error: envelope.error,
      events: { ...record.events, stored: record.events.stored + 1, lastId: frame.id },
    };
    delete closed.continuing;
    this.#writeRecord(closed);
    return closed;
  }

  /** Every stored event after `afterId`, in order (in reads of `MAX_ROWS_PER_READ`). */
  #readAll(afterId: number): StoredEvent[] {
    const all: StoredEvent[] = [];
    let after = afterId;
    for (;;) {
      const page = this.readEvents(after, MAX_ROWS_PER_READ, 0);
      all.push(...page);
      if (page.length < MAX_ROWS_PER_READ) return all;
      after = page.at(-1)!.id;
    }
  }

  /** Deletes everything this object holds (a run dropped from its flow's index by `maxRuns`). */
  async forget(): Promise<void> {
    await this.ctx.storage.deleteAll();
    this.#schema = false;
  }

  // ---- index:<flowId>:<shard> ----

  /**
   * Adds a run's line (or replaces it: a run recorded again) and keeps at most `keep` lines of ended runs, newest
   * first (lines of runs going on are kept beside them); drops lines expired at `now`. Returns the ids of the runs dropped for `keep`, whose objects the caller forgets.
   */
  async addEntry(entry: IndexEntry, keep: number, now: number = Date.now()): Promise<string[]> {
    const sql = this.#ready();
    const dropped = this.ctx.storage.transactionSync(() => {
      sql.exec(
        `INSERT OR REPLACE INTO entries (run_id, flow_id, flow_version, trigger_type, trigger_id, status,
          started_at, ended_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        entry.runId,
        entry.flowId,
        entry.flowVersion,
        entry.trigger.type,
        entry.trigger.id,
        entry.status,
        entry.startedAt,
        entry.endedAt,
        entry.expiresAt,
      );
      sql.exec("DELETE FROM entries WHERE expires_at <= ?", now);
      // A run still going on (a durable run, which may wait for days) is never dropped: it counts when it ends.
      const over = sql
        .exec<{ run_id: string }>(
          "SELECT run_id FROM entries WHERE status != 'running' ORDER BY started_at DESC, run_id DESC LIMIT -1 OFFSET ?",
          Math.max(1, keep),
        )
        .toArray()
        .map((row) => row.run_id);
      for (const id of over) sql.exec("DELETE FROM entries WHERE run_id = ?", id);
      return over;
    });
    await this.#armIndexAlarm();
    return dropped;
  }

  /** This shard's lines after `query.after`, newest first, not expired at `now`, of `query.status` if given. */
  listEntries(query: EntryQuery, now: number = Date.now()): IndexEntry[] {
    const sql = this.#reading("entries");
    if (!sql) return [];
    const limit = Math.max(0, Math.min(query.limit, MAX_ROWS_PER_READ));
    const status = query.status ?? null;
    const order = "ORDER BY started_at DESC, run_id DESC LIMIT ?";
    const filter = "expires_at > ? AND (? IS NULL OR status = ?)";
    const after = query.after;
    const rows = after
      ? sql
          .exec<EntryRow>(
            `SELECT * FROM entries WHERE ${filter}
              AND (started_at < ? OR (started_at = ? AND run_id < ?)) ${order}`,
            now,
            status,
            status,
            after.startedAt,
            after.startedAt,
            after.runId,
            limit,
          )
          .toArray()
      : sql
          .exec<EntryRow>(`SELECT * FROM entries WHERE ${filter} ${order}`, now, status, status, limit)
          .toArray();
    return rows.map(entryOf);
  }

  // ---- both ----

  /**
   * Deletes what expired at `now`: the whole object for a run past its retention (storage and alarm), expired
   * lines for an index shard (then re-arms for the next one). The alarm calls it with `Date.now()`.
   */
  async sweep(now: number = Date.now()): Promise<{ deleted: boolean; entries: number }> {
    if (this.#live && !this.#live.ended) {
      // A continuing run still going outlived its provisional expiry: look again in a minute.
      await this.ctx.storage.setAlarm(now + 60_000);
      return { deleted: false, entries: 0 };
    }
    const sql = this.#reading("run");
    if (!sql) return { deleted: false, entries: 0 };
    const run = sql.exec<{ expires_at: number }>("SELECT expires_at FROM run WHERE id = 1").toArray()[0];
    if (run && run.expires_at <= now) {
      await this.forget();
      return { deleted: true, entries: 0 };
    }
    const entries = sql.exec("DELETE FROM entries WHERE expires_at <= ?", now).rowsWritten;
    if (run) await this.ctx.storage.setAlarm(run.expires_at);
    else await this.#armIndexAlarm();
    return { deleted: false, entries };
  }

  override async alarm(): Promise<void> {
    await this.sweep(Date.now());
  }

  /** Arms the alarm for the next line to expire, or clears it when the shard is empty. */
  async #armIndexAlarm(): Promise<void> {
    const next = this.ctx.storage.sql
      .exec<{ at: number | null }>("SELECT MIN(expires_at) AS at FROM entries")
      .one().at;
    if (next === null) await this.ctx.storage.deleteAlarm();
    else await this.ctx.storage.setAlarm(next);
  }

  /** Row counts, for tests and diagnostics. */
  stats(): { run: number; events: number; entries: number } {
    const sql = this.#reading("run");
    if (!sql) return { run: 0, events: 0, entries: 0 };
    const count = (table: string): number =>
      sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table}`).one().n;
    return { run: count("run"), events: count("events"), entries: count("entries") };
  }
}
