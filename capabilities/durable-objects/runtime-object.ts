import { DurableObject } from "cloudflare:workers";
import { type ClaimResult, DEFAULT_IDEMPOTENCY_TTL_MS, type StepRecord } from "../../kernel/index.ts";
import { decodeValue, encodeValue } from "./codec.ts";
import { armAlarm, type Migrations, migrate } from "./migrations.ts";

/** The runtime's own object: run journals and the idempotency ledger, with expiry. */

/** Journal entries are kept this long after their last write by default: 7 days. */
export const DEFAULT_JOURNAL_TTL_MS = 7 * 24 * 60 * 60 * 1000;

export const RUNTIME_MIGRATIONS: Migrations = [
  [
    `CREATE TABLE IF NOT EXISTS journal (
      run_key TEXT NOT NULL, step_key TEXT NOT NULL, record TEXT NOT NULL, expires_at INTEGER NOT NULL,
      PRIMARY KEY (run_key, step_key))`,
    "CREATE INDEX IF NOT EXISTS journal_expiry ON journal (expires_at)",
    `CREATE TABLE IF NOT EXISTS ledger (
      key TEXT PRIMARY KEY, state TEXT NOT NULL, result TEXT, ttl_ms INTEGER NOT NULL,
      expires_at INTEGER NOT NULL)`,
    "CREATE INDEX IF NOT EXISTS ledger_expiry ON ledger (expires_at)",
  ],
];

type LedgerRow = { state: string; result: string | null; ttl_ms: number; expires_at: number };

/**
 * A SQLite-backed Durable Object holding run journals and the idempotency ledger (RPC methods). Rows expire;
 * an alarm deletes them. Each method runs its SQL synchronously, so it is atomic for the object (one object
 * per shard: see `durableJournal`, `durableLedger`). Bind it as `FLOWS_RUNTIME` with
 * `new_sqlite_classes = ["FlowsRuntime"]`.
 */
export class FlowsRuntime extends DurableObject {
  readonly #alarm: { at?: number | null } = {};

  constructor(ctx: DurableObjectState, env: Cloudflare.Env) {
    super(ctx, env);
    void ctx.blockConcurrencyWhile(async () => {
      migrate(ctx.storage, RUNTIME_MIGRATIONS);
    });
  }

  /** The record of step `stepKey` of run `runKey`, or null. */
  journalGet(runKey: string, stepKey: string): StepRecord | null {
    const rows = this.ctx.storage.sql
      .exec<{ record: string }>(
        "SELECT record FROM journal WHERE run_key = ? AND step_key = ? AND expires_at > ?",
        runKey,
        stepKey,
        Date.now(),
      )
      .toArray();
    return rows[0] ? (decodeValue(rows[0].record) as StepRecord) : null;
  }

  /** Records step `stepKey` of run `runKey`; the run's entries expire `ttlMs` after this write. */
  async journalPut(runKey: string, stepKey: string, record: StepRecord, ttlMs = DEFAULT_JOURNAL_TTL_MS) {
    const expiresAt = Date.now() + ttlMs;
    const sql = this.ctx.storage.sql;
    this.ctx.storage.transactionSync(() => {
      sql.exec(
        "INSERT OR REPLACE INTO journal (run_key, step_key, record, expires_at) VALUES (?, ?, ?, ?)",
        runKey,
        stepKey,
        encodeValue(record),
        expiresAt,
      );
      sql.exec("UPDATE journal SET expires_at = ? WHERE run_key = ?", expiresAt, runKey);
    });
    await armAlarm(this.ctx.storage, expiresAt, this.#alarm);
  }

  /**
   * Claims an idempotency key: `done` with the recorded result, `pending` while another holder's lease
   * lasts, else `new` (held by the caller for `leaseMs`, default `ttlMs`).
   */
  async claim(key: string, ttlMs: number, leaseMs: number = ttlMs): Promise<ClaimResult> {
    const now = Date.now();
    const sql = this.ctx.storage.sql;
    const held = this.#held(key, now);
    if (held) return held;
    const expiresAt = now + leaseMs;
    sql.exec(
      "INSERT OR REPLACE INTO ledger (key, state, result, ttl_ms, expires_at) VALUES (?, 'pending', NULL, ?, ?)",
      key,
      ttlMs,
      expiresAt,
    );
    await armAlarm(this.ctx.storage, expiresAt, this.#alarm);
    return { state: "new" };
  }

  /**
   * Claims `key` and completes it with `result` in one step, when it is free: `new` (the key is now done, for
   * `ttlMs`); otherwise what `claim` answers (`done`, `pending`), leaving the entry as it is. For work with no
   * effect to apply once (the routed flows of a webhook were pure and already ran): one call instead of `claim`
   * then `complete`.
   */
  async record(key: string, ttlMs: number, result: Record<string, unknown>): Promise<ClaimResult> {
    const now = Date.now();
    const sql = this.ctx.storage.sql;
    const held = this.#held(key, now);
    if (held) return held;
    const expiresAt = now + ttlMs;
    sql.exec(
      "INSERT OR REPLACE INTO ledger (key, state, result, ttl_ms, expires_at) VALUES (?, 'done', ?, ?, ?)",
      key,
      encodeValue(result),
      ttlMs,
      expiresAt,
    );
    await armAlarm(this.ctx.storage, expiresAt, this.#alarm);
    return { state: "new" };
  }

  /** What a live entry of `key` says (`done` with its result, `pending`), or undefined when there is none. */
  #held(key: string, now: number): ClaimResult | undefined {
    const row = this.ctx.storage.sql
      .exec<LedgerRow>("SELECT state, result, ttl_ms, expires_at FROM ledger WHERE key = ?", key)
      .toArray()[0];
    if (!row || row.expires_at <= now) return undefined;
    if (row.state === "done")
      return { state: "done", result: decodeValue(row.result ?? "{}") as Record<string, unknown> };
    return row.state === "deferred" ? { state: "pending", deferred: true } : { state: "pending" };
  }

  /** Marks `key` done with `result`, remembered for the ttl given to `claim`. */
  async complete(key: string, result: Record<string, unknown>): Promise<void> {
    const sql = this.ctx.storage.sql;
    const row = sql.exec<{ ttl_ms: number }>("SELECT ttl_ms FROM ledger WHERE key = ?", key).toArray()[0];
    const expiresAt = Date.now() + (row?.ttl_ms ?? DEFAULT_IDEMPOTENCY_TTL_MS);
    sql.exec(
      "INSERT OR REPLACE INTO ledger (key, state, result, ttl_ms, expires_at) VALUES (?, 'done', ?, ?, ?)",
      key,
      encodeValue(result),
      row?.ttl_ms ?? DEFAULT_IDEMPOTENCY_TTL_MS,
      expiresAt,
    );
    await armAlarm(this.ctx.storage, expiresAt, this.#alarm);
  }

  /**
   * Hands a pending claim off to later work (a queue message that will `complete` it): the key stays held, now
   * for the ttl given to `claim` instead of its lease, and `claim` answers `{ state: "pending", deferred: true }`.
   * `release` no longer frees it. A key that is not pending (already done, or gone) is left as it is.
   */
  async defer(key: string): Promise<void> {
    const sql = this.ctx.storage.sql;
    const row = sql
      .exec<{ ttl_ms: number }>("SELECT ttl_ms FROM ledger WHERE key = ? AND state = 'pending'", key)
      .toArray()[0];
    if (!row) return;
    const expiresAt = Date.now() + row.ttl_ms;
    sql.exec("UPDATE ledger SET state = 'deferred', expires_at = ? WHERE key = ?", expiresAt, key);
    await armAlarm(this.ctx.storage, expiresAt, this.#alarm);
  }

  /** Gives up a pending claim (a done or deferred key stays). */
  release(key: string): void {
    this.ctx.storage.sql.exec("DELETE FROM ledger WHERE key = ? AND state = 'pending'", key);
  }

  /** Deletes expired rows, then re-arms for the next expiry (or leaves the alarm off when empty). */
  override async alarm(): Promise<void> {
    const now = Date.now();
    const sql = this.ctx.storage.sql;
    sql.exec("DELETE FROM journal WHERE expires_at <= ?", now);
    sql.exec("DELETE FROM ledger WHERE expires_at <= ?", now);
    const next = sql
      .exec<{ at: number | null }>(
        "SELECT MIN(at) AS at FROM (SELECT MIN(expires_at) AS at FROM journal UNION ALL SELECT MIN(expires_at) FROM ledger)",
      )
      .one().at;
    this.#alarm.at = null;
    if (next !== null) await armAlarm(this.ctx.storage, next, this.#alarm);
  }

  /** Row counts, for tests and diagnostics. */
  stats(): { journal: number; ledger: number } {
    const count = (table: string): number =>
      this.ctx.storage.sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table}`).one().n;
    return { journal: count("journal"), ledger: count("ledger") };
  }
}
