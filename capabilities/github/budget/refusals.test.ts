import { describe, expect, it } from "vitest";
import type { BudgetRefusal } from "./budget.ts";
import { RefusalMemory } from "./refusals.ts";

const T0 = 1_000_000;
const RESET = 5_000; // the spent window's x-ratelimit-reset (s)
const spent = (waitMs: number): BudgetRefusal => ({
  ok: false,
  waitMs,
  retry: false,
  why: "limit",
  lasts: true,
  reset: RESET,
});
const paused = (waitMs: number): BudgetRefusal => ({
  ok: false,
  waitMs,
  retry: false,
  why: "paused",
  lasts: true,
});

describe("RefusalMemory (the isolate's lasting refusals)", () => {
  it("holds a spent window for its resource until its time, then drops it", () => {
    const memory = new RefusalMemory();
    memory.remember("B\napp:1:2", "core", spent(10_000), T0);
    expect(memory.held("B\napp:1:2", "core", T0 + 9_999)).toEqual({
      until: T0 + 10_000,
      why: "limit",
      reset: RESET,
    });
    expect(memory.held("B\napp:1:2", "search", T0)).toBeUndefined();
    expect(memory.held("B\napp:1:3", "core", T0)).toBeUndefined();
    expect(memory.held("B\napp:1:2", "core", T0 + 10_000)).toBeUndefined();
    expect(memory.size).toBe(0);
  });

  it("holds a pause for every resource of the identity, and a call meets the later of pause and window", () => {
    const memory = new RefusalMemory();
    memory.remember("B\ntoken:x", "core", paused(3_000), T0);
    expect(memory.held("B\ntoken:x", "search", T0)).toMatchObject({ why: "paused", until: T0 + 3_000 });
    memory.remember("B\ntoken:x", "core", spent(2_000), T0);
    expect(memory.held("B\ntoken:x", "core", T0)).toMatchObject({ why: "paused", until: T0 + 3_000 });
    memory.remember("B\ntoken:x", "core", spent(8_000), T0);
    expect(memory.held("B\ntoken:x", "core", T0)).toMatchObject({ why: "limit", until: T0 + 8_000 });
  });

  it("remembers only lasting refusals of a window or a pause", () => {
    const memory = new RefusalMemory();
    memory.remember("B\ntoken:x", "core", { ok: false, waitMs: 250, retry: true, why: "learning" }, T0);
    memory.remember("B\ntoken:x", "core", { ok: false, waitMs: 1_000, retry: false, why: "content" }, T0);
    memory.remember("B\ntoken:x", "core", { ok: false, waitMs: 250, retry: false, why: "limit" }, T0);
    expect(memory.size).toBe(0);
  });

  it("forgets on a permit, and on a report of a later window with calls left or of an unmetered resource", () => {
    const memory = new RefusalMemory();
    const b = "B\napp:1:2";
    memory.remember(b, "core", spent(60_000), T0);
    memory.remember(b, "core", paused(60_000), T0);
    memory.permitted(b, "core");
    expect(memory.held(b, "core", T0)).toBeUndefined();

    memory.remember(b, "core", spent(60_000), T0);
    // The same window (an answer out of order), or a later one already spent: still refused.
    memory.reported(b, { resource: "core", limit: 10, remaining: 4, reset: RESET });
    memory.reported(b, { resource: "core", limit: 10, remaining: 0, reset: RESET + 60 });
    memory.reported(b, { resource: "search", unmetered: true });
    expect(memory.held(b, "core", T0)).toBeDefined();
    memory.reported(b, { resource: "core", limit: 10, remaining: 9, reset: RESET + 60 });
    expect(memory.held(b, "core", T0)).toBeUndefined();

    memory.remember(b, "core", spent(60_000), T0);
    memory.reported(b, { resource: "core", unmetered: true });
    expect(memory.held(b, "core", T0)).toBeUndefined();
  });

  it("keeps at most its bound, dropping the oldest remembered", () => {
    const memory = new RefusalMemory(3);
    for (let i = 0; i < 5; i++) memory.remember(`B\napp:1:${i}`, "core", spent(60_000), T0);
    expect(memory.size).toBe(3);
    expect(memory.held("B\napp:1:0", "core", T0)).toBeUndefined();
    expect(memory.held("B\napp:1:1", "core", T0)).toBeUndefined();
    expect(memory.held("B\napp:1:4", "core", T0)).toBeDefined();
  });
});
