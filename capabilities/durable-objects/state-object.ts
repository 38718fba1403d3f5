import { DurableObject } from "cloudflare:workers";
import { DEFAULT_IDEMPOTENCY_TTL_MS } from "../../kernel/index.ts";
import { decodeValue, encodeValue } from "./codec.ts";
import { armAlarm, type Migrations, migrate } from "./migrations.ts";

/** A generic SQLite-backed object for user state, used by the `do.*` kinds. */

export const STATE_MIGRATIONS: Migrations = [
  [
    "CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS applied (op_key TEXT PRIMARY KEY, result TEXT NOT NULL, expires_at INTEGER NOT NULL)",
    "CREATE INDEX IF NOT EXISTS applied_expiry ON applied (expires_at)",
  ],
];

/** A `do.increment` on a value that is not a number. */
export class NotANumberError extends Error {
  override readonly name = "NotANumberError";
}

/**
 * Key/value state of one named object, through RPC (`get`, `put`, `delete`, `increment`) and `fetch`
 * (`GET|PUT|DELETE /<key>`, `POST /<key>/increment?by=n`, JSON bodies). Values are JSON, bytes
 * (Uint8Array) anywhere inside them are kept. A write given an `opKey` (the node's idempotency key) is
 * applied once: repeating it returns the first result, even when the first answer was lost on the way back.
 * Every method runs synchronously on SQLite, so each is atomic for the object.
 */
export class FlowsState extends DurableObject {
  readonly #alarm: { at?: number | null } = {};

  constructor(ctx: DurableObjectState, env: Cloudflare.Env) {
    super(ctx, env);
    void ctx.blockConcurrencyWhile(async () => {
      migrate(ctx.storage, STATE_MIGRATIONS);
    });
  }

  /** The value under `key`, or null. */
  get(key: string): unknown {
    const row = this.ctx.storage.sql
      .exec<{ value: string }>("SELECT value FROM state WHERE key = ?", key)
      .toArray()[0];
    return row ? decodeValue(row.value) : null;
  }

  /** Stores `value` under `key`. */
  put(key: string, value: unknown, opKey?: string): Promise<true> {
    return this.#once(opKey, () => {
      this.ctx.storage.sql.exec(
        "INSERT OR REPLACE INTO state (key, value) VALUES (?, ?)",
        key,
        encodeValue(value),
      );
      return true as const;
    });
  }

  /** Deletes `key`; true when it existed. */
  delete(key: string, opKey?: string): Promise<boolean> {
    return this.#once(
      opKey,
      () => this.ctx.storage.sql.exec("DELETE FROM state WHERE key = ?", key).rowsWritten > 0,
    );
  }

  /** Adds `by` to the number under `key` (0 when missing) and returns the new value. */
  increment(key: string, by = 1, opKey?: string): Promise<number> {
    return this.#once(opKey, () => {
      const current = this.get(key) ?? 0;
      if (typeof current !== "number")
        throw new NotANumberError(`the value under \`${key}\` is not a number, it cannot be incremented`);
      const next = current + by;
      this.ctx.storage.sql.exec(
        "INSERT OR REPLACE INTO state (key, value) VALUES (?, ?)",
        key,
        encodeValue(next),
      );
      return next;
    });
  }

  /** Runs `write` once per `opKey` (within the idempotency TTL), in one transaction with its record. */
  async #once<T>(opKey: string | undefined, write: () => T): Promise<T> {
    if (opKey === undefined) return this.ctx.storage.transactionSync(write);
    const sql = this.ctx.storage.sql;
    const expiresAt = Date.now() + DEFAULT_IDEMPOTENCY_TTL_MS;
    const result = this.ctx.storage.transactionSync(() => {
      const seen = sql
        .exec<{ result: string }>("SELECT result FROM applied WHERE op_key = ?", opKey)
        .toArray()[0];
      if (seen) return decodeValue(seen.result) as T;
      const value = write();
      sql.exec(
        "INSERT INTO applied (op_key, result, expires_at) VALUES (?, ?, ?)",
        opKey,
        encodeValue(value),
        expiresAt,
      );
      return value;
    });
    await armAlarm(this.ctx.storage, expiresAt, this.#alarm);
    return result;
  }

  /** Forgets expired operation keys, then re-arms for the next. */
  override async alarm(): Promise<void> {
    const sql = this.ctx.storage.sql;
    sql.exec("DELETE FROM applied WHERE expires_at <= ?", Date.now());
    const next = sql.exec<{ at: number | null }>("SELECT MIN(expires_at) AS at FROM applied").one().at;
    this.#alarm.at = null;
    if (next !== null) await armAlarm(this.ctx.storage, next, this.#alarm);
  }

  /** HTTP access to the same state, for `do.call`. */
  override async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const match = /^\/([^/]+)(\/increment)?$/.exec(url.pathname);
    if (!match) return Response.json({ error: "use /<key> or /<key>/increment" }, { status: 404 });
    const key = decodeURIComponent(match[1]!);
    const method = request.method;
    if (match[2]) {
      if (method !== "POST") return Response.json({ error: "use POST" }, { status: 405 });
      const by = Number(url.searchParams.get("by") ?? "1");
      if (!Number.isFinite(by)) return Response.json({ error: "`by` must be a number" }, { status: 400 });
      try {
        return Response.json({ value: await this.increment(key, by) });
      } catch (error) {
        if (error instanceof NotANumberError) return Response.json({ error: error.message }, { status: 409 });
        throw error;
      }
    }
    if (method === "GET") {
      const value = this.get(key);
      return value === null ? Response.json({ error: "not found" }, { status: 404 }) : Response.json(value);
    }
    if (method === "PUT") {
      let value: unknown;
      try {
        value = await request.json();
      } catch {
        return Response.json({ error: "the body must be JSON" }, { status: 400 });
      }
      await this.put(key, value);
      return Response.json({ ok: true });
    }
    if (method === "DELETE") return Response.json({ deleted: await this.delete(key) });
    return Response.json(
      { error: "use GET, PUT or DELETE" },
      { status: 405, headers: { allow: "GET, PUT, DELETE" } },
    );
  }
}
