/**
 * The shared rate budget of one GitHub identity (an App installation or a token), as pure logic: the
 * `FlowsGitHubBudget` Durable Object holds one `RateBudget` per installation and passes it the time; tests pass
 * their own clock. No I/O, no `cloudflare:*`.
 *
 * What it knows comes from GitHub's own headers (`x-ratelimit-limit`, `-remaining`, `-reset`, `-resource`),
 * reported after each call. What it gives is a permit: "start your call in `waitMs`". A permit is counted against
 * the window it starts in until its call reports (or its lease ends), so concurrent callers in many isolates never
 * spend more than GitHub's `remaining`, less a reserve.
 */

/** How a budget grants, sent with every take (the node's settings). Times in ms. */
export interface BudgetPolicy {
  /** Calls left to others in each window (capped at a tenth of the limit, so a small limit is still usable). */
  readonly reserve: number;
  /** Least time between two content-creating calls (GitHub: at least 1 s). */
  readonly contentSpacingMs: number;
  /** Most content-creating calls in any minute (GitHub: 80) and hour (GitHub: 500). */
  readonly contentPerMinute: number;
  readonly contentPerHour: number;
  /** Most calls in flight at once (GitHub: 100, REST and GraphQL together). */
  readonly maxConcurrent: number;
  /** Added to `x-ratelimit-reset` before a new window is used (clock skew between us and GitHub). */
  readonly skewMs: number;
  /** A permit whose call never reported is released this long after its start (a lost isolate). */
  readonly leaseMs: number;
  /** How soon to ask again while the budget cannot plan (its first call is out, a window just rolled). */
  readonly retryMs: number;
}

/** A take: one call about to be made. */
export interface BudgetTake {
  /** `core`, `search`, `code_search`, `graphql`… (GitHub's `x-ratelimit-resource`, guessed from the path). */
  readonly resource: string;
  /** POST, PATCH, PUT or DELETE that creates content: spaced by the policy. */
  readonly content: boolean;
  /** The longest the caller can wait for its start; a later start is refused (not reserved). */
  readonly maxWaitMs: number;
  readonly policy: BudgetPolicy;
  /** Earlier calls' outcomes, sent with this take to save a round trip. */
  readonly reports?: readonly BudgetReport[];
}

/** What a call taught: its headers, or only that it is over. */
export interface BudgetReport {
  /** The permit the call held (released). */
  readonly permit?: string;
  /** The resource the permit was taken for; the headers' `x-ratelimit-resource` may differ (`resource`). */
  readonly taken?: string;
  /** The resource the headers are about. */
  readonly resource: string;
  readonly limit?: number;
  readonly remaining?: number;
  /** `x-ratelimit-reset`: seconds since the epoch. */
  readonly reset?: number;
  /** A response with no rate-limit headers (a GitHub Enterprise Server without rate limits): not metered. */
  readonly unmetered?: boolean;
  /** A secondary limit's `retry-after`: every call of this identity pauses this long. */
  readonly retryAfterMs?: number;
}

export type BudgetWhy = "limit" | "content" | "paused" | "concurrency" | "learning";

/**
 * `ok`: start the call `waitMs` from now (0: at once), holding `permit`. Not `ok`: no permit; with `retry` ask
 * again in `waitMs` (the budget is still learning or full for now); without, the start would be `waitMs` away,
 * past the caller's `maxWaitMs`.
 */
export type BudgetAnswer =
  | { readonly ok: true; readonly permit: string; readonly waitMs: number }
  | BudgetRefusal;

export interface BudgetRefusal {
  readonly ok: false;
  readonly waitMs: number;
  readonly retry: boolean;
  readonly why: BudgetWhy;
  /**
   * True when no call of this resource (of this identity, for `paused`) can start within `waitMs`, whoever asks:
   * the window is spent until its reset, or GitHub asked for a pause. An isolate may then answer its later calls
   * itself until that time (`refusals.ts`). Absent when the wait is only "ask again" (learning, concurrency) or
   * belongs to the caller (content spacing).
   */
  readonly lasts?: true;
  /** With `why: "limit"` and `lasts`: the spent window's `x-ratelimit-reset` (s). */
  readonly reset?: number;
}

interface Window {
  /** False: the resource answers without rate-limit headers; nothing to count. */
  metered: boolean;
  limit: number;
  remaining: number;
  /** When the window resets (ms); undefined once it has rolled and no call of the new one reported yet. */
  resetAt: number | undefined;
}

interface Permit {
  resource: string;
  startAt: number;
  expiresAt: number;
}

/** The state kept across restarts (the object stores it as one value). */
export interface BudgetSnapshot {
  readonly v: 1;
  readonly seq: number;
  readonly windows: Record<string, Window>;
  readonly permits: Record<string, Permit>;
  readonly nextContentAt: number;
  readonly contentStarts: number[];
  readonly pausedUntil: number;
}

/** The fields of a refusal that lasts until a window's reset (ms). */
const lasting = (resetAt: number) => ({ lasts: true as const, reset: resetAt / 1_000 });

const MINUTE = 60_000;
const HOUR = 3_600_000;

export class RateBudget {
  #seq = 0;
  readonly #windows = new Map<string, Window>();
  readonly #permits = new Map<string, Permit>();
  #nextContentAt = 0;
  /** Start times of content-creating permits within the last hour, ascending. */
  #contentStarts: number[] = [];
  #pausedUntil = 0;

  /** A budget from a snapshot (`snapshot()`), or a fresh one. */
  static restore(snapshot: BudgetSnapshot | undefined | null): RateBudget {
    const budget = new RateBudget();
    if (snapshot?.v !== 1) return budget;
    budget.#seq = snapshot.seq;
    for (const [name, w] of Object.entries(snapshot.windows)) budget.#windows.set(name, { ...w });
    for (const [id, p] of Object.entries(snapshot.permits)) budget.#permits.set(id, { ...p });
    budget.#nextContentAt = snapshot.nextContentAt;
    budget.#contentStarts = [...snapshot.contentStarts];
    budget.#pausedUntil = snapshot.pausedUntil;
    return budget;
  }

  snapshot(): BudgetSnapshot {
    return {
      v: 1,
      seq: this.#seq,
      windows: Object.fromEntries([...this.#windows].map(([k, w]) => [k, { ...w }])),
      permits: Object.fromEntries([...this.#permits].map(([k, p]) => [k, { ...p }])),
      nextContentAt: this.#nextContentAt,
      contentStarts: [...this.#contentStarts],
      pausedUntil: this.#pausedUntil,
    };
  }

  /** Permits not yet reported (for tests and logs). */
  get outstanding(): number {
    return this.#permits.size;
  }

  /** What the budget knows of a resource: `{ limit, remaining, resetAt }`, or undefined. */
  window(resource: string): Readonly<Window> | undefined {
    return this.#windows.get(resource);
  }

  /** Applies the reports, then plans one call (see `BudgetAnswer`). */
  take(now: number, take: BudgetTake): BudgetAnswer {
    const { policy } = take;
    this.report(now, policy, take.reports ?? []);
    let start = Math.max(now, this.#pausedUntil);
    let why: BudgetWhy = start > now ? "paused" : "limit";
    if (take.content) {
      const spaced = this.#contentStart(start, policy);
      if (spaced > start) why = "content";
      start = spaced;
    }
    if (this.#inFlight(now) >= policy.maxConcurrent)
      return this.#retry(now, now + policy.retryMs, take, "concurrency");
    const window = this.#windows.get(take.resource);
    if (!window) {
      // Nothing known yet: one call goes first and teaches the limit; the others ask again shortly.
      if (this.#count(take.resource, () => true) > 0)
        return this.#retry(now, now + policy.retryMs, take, "learning");
    } else if (window.metered) {
      const reserve = Math.min(policy.reserve, Math.floor(window.limit / 10));
      const resetAt = window.resetAt;
      const current = this.#count(take.resource, (p) => resetAt === undefined || p.startAt < resetAt);
      const fitsNow = window.remaining - reserve - current > 0;
      if (resetAt === undefined) {
        if (!fitsNow) return this.#retry(now, now + policy.retryMs, take, "limit");
      } else if (!(start < resetAt && fitsNow)) {
        // This window is spent: a start in the next one, which begins at the reset (plus the skew).
        const next = this.#count(take.resource, (p) => p.startAt >= resetAt);
        if (window.limit - reserve - next <= 0)
          return { ...this.#retry(now, resetAt + policy.skewMs, take, "limit"), ...lasting(resetAt) };
        if (start < resetAt + policy.skewMs) {
          start = resetAt + policy.skewMs;
          why = "limit";
        }
      }
    }
    const waitMs = start - now;
    if (waitMs > take.maxWaitMs) {
      const refusal: BudgetRefusal = { ok: false, waitMs, retry: false, why };
      // A spent window (the start was moved to the next one) or a pause holds for every caller until `start`;
      // content spacing only for content-creating calls.
      if (why === "limit" && window?.resetAt !== undefined) return { ...refusal, ...lasting(window.resetAt) };
      if (why === "paused") return { ...refusal, lasts: true };
      return refusal;
    }
    const permit = `p${++this.#seq}`;
    this.#permits.set(permit, { resource: take.resource, startAt: start, expiresAt: start + policy.leaseMs });
    if (take.content) {
      this.#contentStarts.push(start);
      this.#nextContentAt = start + policy.contentSpacingMs;
    }
    return { ok: true, permit, waitMs };
  }

  /** Learns from finished calls: releases their permits, takes GitHub's counts, pauses on a secondary limit. */
  report(now: number, policy: BudgetPolicy, reports: readonly BudgetReport[]): void {
    for (const r of reports) {
      if (r.permit !== undefined) this.#permits.delete(r.permit);
      if (r.retryAfterMs !== undefined && r.retryAfterMs > 0)
        this.#pausedUntil = Math.max(this.#pausedUntil, now + r.retryAfterMs);
      this.#learn(now, policy, r);
    }
    this.#expire(now, policy);
  }

  #learn(now: number, policy: BudgetPolicy, r: BudgetReport): void {
    const known = this.#windows.get(r.resource);
    if (r.unmetered) {
      if (!known)
        this.#windows.set(r.resource, { metered: false, limit: 0, remaining: 0, resetAt: undefined });
      return;
    }
    if (r.limit === undefined || r.remaining === undefined || r.reset === undefined) {
      // A call that ended without an answer (or with a 5xx from a proxy): it taught nothing, but it no longer
      // holds back the calls waiting for a first answer.
      return;
    }
    const resetAt = r.reset * 1_000;
    if (resetAt + policy.skewMs <= now) return; // about a window that is over
    if (!known?.metered || known.resetAt === undefined || resetAt > known.resetAt) {
      this.#windows.set(r.resource, { metered: true, limit: r.limit, remaining: r.remaining, resetAt });
    } else if (resetAt === known.resetAt) {
      // Answers arrive out of order: within a window the smallest `remaining` is the latest.
      known.remaining = Math.min(known.remaining, r.remaining);
      known.limit = r.limit;
    }
  }

  /** Drops permits past their lease, rolls windows past their reset, forgets content starts over an hour old. */
  #expire(now: number, policy: BudgetPolicy): void {
    for (const [id, p] of this.#permits) if (p.expiresAt <= now) this.#permits.delete(id);
    for (const w of this.#windows.values()) {
      if (w.metered && w.resetAt !== undefined && now >= w.resetAt + policy.skewMs) {
        w.remaining = w.limit;
        w.resetAt = undefined;
      }
    }
    const hourAgo = now - HOUR;
    let drop = 0;
    while (drop < this.#contentStarts.length && this.#contentStarts[drop]! <= hourAgo) drop++;
    if (drop > 0) this.#contentStarts = this.#contentStarts.slice(drop);
  }

  /** The earliest start at or after `from` that keeps content-creating calls spaced and under their caps. */
  #contentStart(from: number, policy: BudgetPolicy): number {
    let start = Math.max(from, this.#nextContentAt);
    const starts = this.#contentStarts;
    for (const [span, max] of [
      [MINUTE, policy.contentPerMinute],
      [HOUR, policy.contentPerHour],
    ] as const) {
      if (max <= 0) continue;
      let inSpan = 0;
      while (inSpan < starts.length && starts[starts.length - 1 - inSpan]! > start - span) inSpan++;
      // The oldest start that must leave the span before one more fits.
      if (inSpan >= max) start = Math.max(start, starts[starts.length - max]! + span);
    }
    return start;
  }

  #count(resource: string, which: (p: Permit) => boolean): number {
    let n = 0;
    for (const p of this.#permits.values()) if (p.resource === resource && which(p)) n++;
    return n;
  }

  /** Calls started and not reported, over every resource. */
  #inFlight(now: number): number {
    let n = 0;
    for (const p of this.#permits.values()) if (p.startAt <= now) n++;
    return n;
  }

  #retry(now: number, at: number, take: BudgetTake, why: BudgetWhy): BudgetAnswer {
    const waitMs = Math.max(1, at - now);
    return { ok: false, waitMs, retry: waitMs <= take.maxWaitMs, why };
  }
}
