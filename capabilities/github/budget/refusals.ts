import type { BudgetRefusal, BudgetReport } from "./budget.ts";

/**
 * What an isolate remembers of its budgets' lasting refusals (`BudgetRefusal.lasts`): "the window of this resource
 * is spent until <time>", "this identity is paused until <time>". While one holds, the client answers a call
 * itself (it sleeps until then, or fails at once) instead of asking the object: a busy installation's object then
 * sees the calls GitHub would take and one refusal per isolate per window, not one call per REST call.
 *
 * It only ever refuses or delays: a call still needs a permit from the object once the time has passed. Times are
 * the isolate's (`ctx.clock.now()` when the answer came, plus its `waitMs`), so no clock is compared with the
 * object's. Bounded: at most `max` entries (the oldest remembered goes first); an entry past its time is dropped
 * when looked up.
 */

/** A refusal that holds until `until` (the isolate's clock, ms). */
export interface Refusal {
  readonly until: number;
  readonly why: "limit" | "paused";
  /** The spent window's `x-ratelimit-reset` (s), for `limit`: a report of a later window ends the refusal. */
  readonly reset?: number;
}

/** Entries for a pause (every resource of the identity) use this resource name; GitHub's are never empty. */
const ANY = "";

export class RefusalMemory {
  readonly #entries = new Map<string, Refusal>();
  readonly #max: number;

  constructor(max = 4_096) {
    this.#max = max;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The refusal a call of `resource` meets at `now`: its window's or the identity's pause, the later one. */
  held(budget: string, resource: string, now: number): Refusal | undefined {
    const window = this.#live(`${budget}\n${resource}`, now);
    const pause = this.#live(`${budget}\n${ANY}`, now);
    if (!window) return pause;
    if (!pause) return window;
    return pause.until > window.until ? pause : window;
  }

  /** Remembers a lasting refusal the object gave a call of `resource` at `now` (the isolate's clock). */
  remember(budget: string, resource: string, refusal: BudgetRefusal, now: number): void {
    if (!refusal.lasts || (refusal.why !== "limit" && refusal.why !== "paused")) return;
    const key = `${budget}\n${refusal.why === "paused" ? ANY : resource}`;
    const entry: Refusal = {
      until: now + refusal.waitMs,
      why: refusal.why,
      ...(refusal.reset === undefined ? {} : { reset: refusal.reset }),
    };
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    while (this.#entries.size > this.#max) this.#entries.delete(this.#entries.keys().next().value!);
  }

  /** The object gave a call of `resource` a permit: what was remembered of it (and of a pause) is over. */
  permitted(budget: string, resource: string): void {
    this.#entries.delete(`${budget}\n${resource}`);
    this.#entries.delete(`${budget}\n${ANY}`);
  }

  /**
   * A call's answer: a window that began after the one remembered as spent, with calls left, or an answer without
   * rate-limit headers (the resource is not metered), ends the resource's refusal.
   */
  reported(budget: string, report: BudgetReport): void {
    const key = `${budget}\n${report.resource}`;
    const entry = this.#entries.get(key);
    if (!entry) return;
    const refilled =
      report.unmetered === true ||
      (entry.reset !== undefined &&
        report.reset !== undefined &&
        report.reset > entry.reset &&
        (report.remaining ?? 0) > 0);
    if (refilled) this.#entries.delete(key);
  }

  #live(key: string, now: number): Refusal | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined || entry.until > now) return entry;
    this.#entries.delete(key);
    return undefined;
  }
}
