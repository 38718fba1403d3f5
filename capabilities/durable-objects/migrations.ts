/**
 * Schema migrations for SQLite-backed Durable Objects, in code: each object records the versions applied in
 * `_flows_migrations` and applies the missing ones, in order, inside one transaction. Run from the
 * constructor under `blockConcurrencyWhile`, so no request sees a half-migrated schema.
 */

/** Version n is `steps[n - 1]`: SQL statements (`CREATE TABLE IF NOT EXISTS …`). Never edit a shipped step. */
export type Migrations = readonly (readonly string[])[];

/**
 * Applies the steps not yet applied; returns the schema version now in place.
 * @example ctx.blockConcurrencyWhile(async () => migrate(ctx.storage, RUNTIME_MIGRATIONS))
 */
export function migrate(storage: DurableObjectStorage, steps: Migrations): number {
  const sql = storage.sql;
  return storage.transactionSync(() => {
    sql.exec(
      "CREATE TABLE IF NOT EXISTS _flows_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER)",
    );
    const row = sql.exec<{ v: number | null }>("SELECT MAX(version) AS v FROM _flows_migrations").one();
    const current = row.v ?? 0;
    for (let version = current + 1; version <= steps.length; version++) {
      for (const statement of steps[version - 1]!) sql.exec(statement);
      sql.exec("INSERT INTO _flows_migrations (version, applied_at) VALUES (?, ?)", version, Date.now());
    }
    return steps.length;
  });
}

/**
 * Arms the object's alarm for `at` unless it is already armed earlier. `known` caches the armed time per
 * object instance (undefined: not read yet).
 */
export async function armAlarm(storage: DurableObjectStorage, at: number, known: { at?: number | null }) {
  if (known.at === undefined) known.at = await storage.getAlarm();
  if (known.at !== null && known.at <= at) return;
  await storage.setAlarm(at);
  known.at = at;
}
