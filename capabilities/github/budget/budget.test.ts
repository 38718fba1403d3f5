import { describe, expect, it } from "vitest";
import { type BudgetAnswer, type BudgetPolicy, type BudgetTake, RateBudget } from "./budget.ts";

const T0 = Date.parse("2026-11-25T12:00:00Z");
const RESET = T0 / 1_000 + 60; // the window resets a minute after T0

const policy: BudgetPolicy = {
  reserve: 0,
  contentSpacingMs: 1_000,
  contentPerMinute: 80,
  contentPerHour: 500,
  maxConcurrent: 100,
  skewMs: 1_000,
  leaseMs: 60_000,
  retryMs: 250,
};

const take = (extra: Partial<BudgetTake> = {}): BudgetTake => ({
  resource: "core",
  content: false,
  maxWaitMs: 3_600_000,
  policy,
  ...extra,
});

const granted = (a: BudgetAnswer): { permit: string; waitMs: number } => {
  if (!a.ok) throw new Error(`not granted: ${JSON.stringify(a)}`);
  return a;
};

/** A budget that has learned `core`: `remaining` of `limit` left until RESET. */
function learned(limit: number, remaining: number, p: BudgetPolicy = policy, reset = RESET): RateBudget {
  const budget = new RateBudget();
  budget.report(T0, p, [{ resource: "core", limit, remaining, reset }]);
  return budget;
}

describe("RateBudget", () => {
  it("lets one call go first while it knows nothing, and the others ask again until its headers arrive", () => {
    const budget = new RateBudget();
    const first = granted(budget.take(T0, take()));
    expect(first.waitMs).toBe(0);
    expect(budget.take(T0, take())).toEqual({ ok: false, waitMs: 250, retry: true, why: "learning" });
    const reports = [{ permit: first.permit, resource: "core", limit: 20, remaining: 19, reset: RESET }];
    expect(granted(budget.take(T0 + 10, take({ reports }))).waitMs).toBe(0);
    expect(budget.window("core")).toEqual({
      metered: true,
      limit: 20,
      remaining: 19,
      resetAt: RESET * 1_000,
    });
  });

  it("grants what GitHub says remains, then starts calls in the next window, then asks callers to come back", () => {
    const budget = learned(10, 3);
    for (let i = 0; i < 3; i++) expect(granted(budget.take(T0, take())).waitMs).toBe(0);
    // The window is spent: the next 10 (the full limit) start at the reset plus the skew.
    const next = RESET * 1_000 + 1_000 - T0;
    for (let i = 0; i < 10; i++) expect(granted(budget.take(T0, take())).waitMs).toBe(next);
    // The next window is full too: come back when it begins.
    expect(budget.take(T0, take())).toEqual({
      ok: false,
      waitMs: next,
      retry: true,
      why: "limit",
      lasts: true,
      reset: RESET,
    });
    expect(budget.outstanding).toBe(13);
  });

  it("refuses, without reserving, a start later than the caller can wait", () => {
    const budget = learned(10, 0);
    const answer = budget.take(T0, take({ maxWaitMs: 20_000 }));
    // It lasts until the reset for every caller (an isolate may remember it), and names the spent window.
    expect(answer).toEqual({
      ok: false,
      waitMs: 61_000,
      retry: false,
      why: "limit",
      lasts: true,
      reset: RESET,
    });
    expect(budget.outstanding).toBe(0);
  });

  it("keeps a reserve, at most a tenth of the limit", () => {
    const budget = learned(20, 20, { ...policy, reserve: 50 });
    const p = { ...policy, reserve: 50 };
    let now = 0;
    for (let i = 0; i < 20; i++) if (granted(budget.take(T0, take({ policy: p }))).waitMs === 0) now++;
    expect(now).toBe(18);
  });

  it("counts a permit until its call reports, and takes the smallest remaining of a window (answers arrive out of order)", () => {
    const budget = learned(10, 10);
    const permits = Array.from({ length: 4 }, () => granted(budget.take(T0, take())).permit);
    const report = (permit: string, remaining: number) => ({
      permit,
      resource: "core",
      limit: 10,
      remaining,
      reset: RESET,
    });
    budget.report(T0 + 5, policy, [report(permits[1]!, 7), report(permits[0]!, 8)]);
    // 7 remain by GitHub, 2 permits still out: 5 more now.
    expect(budget.window("core")?.remaining).toBe(7);
    let now = 0;
    for (let i = 0; i < 6; i++) if (granted(budget.take(T0 + 5, take())).waitMs === 0) now++;
    expect(now).toBe(5);
  });

  it("rolls a window past its reset: the full limit again, and the new reset learned from the next answer", () => {
    const budget = learned(3, 0);
    const after = RESET * 1_000 + 1_000;
    const permits = [1, 2, 3].map(() => granted(budget.take(after, take())));
    expect(permits.every((p) => p.waitMs === 0)).toBe(true);
    expect(budget.window("core")).toMatchObject({ remaining: 3, resetAt: undefined });
    expect(budget.take(after, take())).toMatchObject({ ok: false, retry: true, why: "limit", waitMs: 250 });
    const reports = [
      { permit: permits[0]!.permit, resource: "core", limit: 3, remaining: 0, reset: RESET + 60 },
    ];
    expect(granted(budget.take(after + 20, take({ reports }))).waitMs).toBe(
      (RESET + 61) * 1_000 - after - 20,
    );
  });

  it("ignores an answer about a window that is over", () => {
    const budget = learned(3, 0);
    const after = RESET * 1_000 + 5_000;
    budget.report(after, policy, [{ resource: "core", limit: 3, remaining: 0, reset: RESET }]);
    expect(granted(budget.take(after, take())).waitMs).toBe(0);
  });

  it("spaces content-creating calls 1 s apart, and leaves reads alone", () => {
    const budget = learned(100, 100);
    const waits = [1, 2, 3].map(() => granted(budget.take(T0, take({ content: true }))).waitMs);
    expect(waits).toEqual([0, 1_000, 2_000]);
    expect(granted(budget.take(T0, take())).waitMs).toBe(0);
    expect(granted(budget.take(T0 + 500, take({ content: true }))).waitMs).toBe(2_500);
  });

  it("keeps content-creating calls to 80 a minute and 500 an hour", () => {
    const p = { ...policy, contentSpacingMs: 0 };
    const later = T0 / 1_000 + 7_200; // a window that outlasts the test
    const budget = learned(5_000, 5_000, p, later);
    const waits = Array.from(
      { length: 81 },
      () => granted(budget.take(T0, take({ content: true, policy: p }))).waitMs,
    );
    expect(waits.slice(0, 80).every((w) => w === 0)).toBe(true);
    expect(waits[80]).toBe(60_000);
    const hourly = learned(5_000, 5_000, p, later);
    let t = T0;
    for (let i = 0; i < 500; i++) {
      const w = granted(hourly.take(t, take({ content: true, policy: p, maxWaitMs: 60_000 }))).waitMs;
      t += w;
    }
    // 500 in the hour: the 501st waits until the first of them is an hour old.
    const answer = hourly.take(t, take({ content: true, policy: p, maxWaitMs: 60_000 }));
    expect(answer).toMatchObject({ ok: false, retry: false, why: "content", waitMs: T0 + 3_600_000 - t });
  });

  it("pauses every call of the identity for a secondary limit's retry-after", () => {
    const budget = learned(100, 100);
    const { permit } = granted(budget.take(T0, take()));
    const reports = [
      { permit, resource: "core", limit: 100, remaining: 99, reset: RESET, retryAfterMs: 5_000 },
    ];
    expect(granted(budget.take(T0, take({ reports }))).waitMs).toBe(5_000);
    expect(budget.take(T0, take({ maxWaitMs: 1_000 }))).toEqual({
      ok: false,
      waitMs: 5_000,
      retry: false,
      why: "paused",
      lasts: true,
    });
  });

  it("marks as lasting only the refusals that hold for every caller: not content spacing, learning or concurrency", () => {
    const budget = learned(100, 100);
    granted(budget.take(T0, take({ content: true })));
    // The next content call waits for the spacing; a read of the same identity would not.
    expect(budget.take(T0, take({ content: true, maxWaitMs: 0 }))).toEqual({
      ok: false,
      waitMs: 1_000,
      retry: false,
      why: "content",
    });
    const fresh = new RateBudget();
    granted(fresh.take(T0, take()));
    expect(fresh.take(T0, take({ maxWaitMs: 0 }))).not.toHaveProperty("lasts");
    const full = learned(1_000, 1_000, { ...policy, maxConcurrent: 1 });
    granted(full.take(T0, take({ policy: { ...policy, maxConcurrent: 1 } })));
    const busy = full.take(T0, take({ policy: { ...policy, maxConcurrent: 1 } }));
    expect(busy).toMatchObject({ ok: false, why: "concurrency" });
    expect(busy).not.toHaveProperty("lasts");
  });

  it("releases a permit whose call never reported once its lease ends", () => {
    const budget = learned(1, 1);
    granted(budget.take(T0, take()));
    expect(granted(budget.take(T0, take())).waitMs).toBe(61_000); // next window
    budget.report(T0 + 60_000, policy, []);
    expect(budget.outstanding).toBe(1); // the one of the next window starts later: its lease too
  });

  it("counts nothing for a resource that answers without rate-limit headers", () => {
    const budget = new RateBudget();
    const { permit } = granted(budget.take(T0, take()));
    budget.report(T0, policy, [{ permit, resource: "core", unmetered: true }]);
    // 100 at once (GitHub's concurrency cap), none of them counted against a limit.
    for (let i = 0; i < 100; i++) expect(granted(budget.take(T0, take())).waitMs).toBe(0);
    expect(budget.window("core")).toMatchObject({ metered: false });
  });

  it("keeps at most maxConcurrent calls in flight", () => {
    const p = { ...policy, maxConcurrent: 2 };
    const budget = learned(100, 100, p);
    granted(budget.take(T0, take({ policy: p })));
    const { permit } = granted(budget.take(T0, take({ policy: p })));
    expect(budget.take(T0, take({ policy: p }))).toMatchObject({
      ok: false,
      retry: true,
      why: "concurrency",
    });
    expect(
      granted(budget.take(T0, take({ policy: p, reports: [{ permit, resource: "core" }] }))).waitMs,
    ).toBe(0);
  });

  it("resumes from its snapshot", () => {
    const budget = learned(10, 4);
    granted(budget.take(T0, take({ content: true })));
    const copy = RateBudget.restore(JSON.parse(JSON.stringify(budget.snapshot())));
    expect(copy.snapshot()).toEqual(budget.snapshot());
    expect(granted(copy.take(T0, take({ content: true }))).waitMs).toBe(1_000);
    expect(RateBudget.restore(undefined).outstanding).toBe(0);
  });
});
