/**
 * Memoisation of pure work within one run. A graph node runs once per run by construction, so the table is
 * consulted where pure work can recur: a `map` template applied to equal items, and a call of a pure subflow
 * with an equal input. Entries hold the promise, so concurrent equal calls share one execution.
 */

/**
 * A canonical text for a JSON-like value (object keys sorted), or undefined when the value holds something
 * that cannot be compared by content (a stream, a function, a cycle, a class instance).
 * @example stableKey({ b: 1, a: [2] }) === stableKey({ a: [2], b: 1 }) // true
 */
export function stableKey(value: unknown): string | undefined {
  try {
    return write(value, 0);
  } catch {
    return undefined;
  }
}

const MAX_DEPTH = 64;

function write(value: unknown, depth: number): string {
  if (depth > MAX_DEPTH) throw new Error("too deep");
  if (value === null || typeof value === "boolean" || typeof value === "number") return JSON.stringify(value);
  if (typeof value === "string") return JSON.stringify(value);
  if (value === undefined) return "u";
  if (Array.isArray(value)) return `[${value.map((v) => write(v, depth + 1)).join(",")}]`;
  if (typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${write(record[k], depth + 1)}`).join(",")}}`;
  }
  throw new Error("not comparable");
}

const NO_VALUE: unique symbol = Symbol("keyed");

/** One run's memo table (shared by its subflow runs). */
export class MemoTable {
  /** Created on first use: most runs never memoise anything. */
  #entries: Map<string, Promise<unknown>> | undefined = undefined;
  hits = 0;

  /** First calls by scope, not keyed yet (see `runFirstUnkeyed`). */
  #firsts: Map<string, { value: unknown; promise: Promise<unknown>; failed: boolean }> | undefined =
    undefined;

  /**
   * Memoises `work` on `scope` + `stableKey(value)`, but computes keys only from the second call in a scope: the
   * first call runs unkeyed and is remembered by reference, and keyed when a second call comes. The same results
   * as `run(scope + key, work)`, without serialising `value` when a scope is used once (the common case).
   */
  runFirstUnkeyed<T>(scope: string, value: unknown, work: () => Promise<T>): Promise<T> {
    this.#firsts ??= new Map();
    const first = this.#firsts.get(scope);
    if (first === undefined) {
      const promise = work();
      const record = { value, promise: promise as Promise<unknown>, failed: false };
      promise.catch(() => {
        record.failed = true;
      });
      this.#firsts.set(scope, record);
      return promise;
    }
    if (first.value !== NO_VALUE && !first.failed) {
      // A second call: key the first one now, so that an equal input shares its execution.
      const firstKey = stableKey(first.value);
      this.#entries ??= new Map();
      const entries = this.#entries;
      if (firstKey !== undefined && !entries.has(`${scope}\u0000${firstKey}`)) {
        entries.set(`${scope}\u0000${firstKey}`, first.promise);
        first.promise.catch(() => entries.delete(`${scope}\u0000${firstKey}`));
      }
      first.value = NO_VALUE;
    }
    const key = stableKey(value);
    return key === undefined ? work() : this.run(`${scope}\u0000${key}`, work);
  }

  /** Returns the memoised promise for `key`, or runs `work` and remembers it. A failure is not remembered. */
  run<T>(key: string, work: () => Promise<T>): Promise<T> {
    this.#entries ??= new Map();
    const entries = this.#entries;
    const existing = entries.get(key);
    if (existing) {
      this.hits++;
      return existing as Promise<T>;
    }
    const promise = work();
    entries.set(key, promise);
    promise.catch(() => entries.delete(key));
    return promise;
  }
}
