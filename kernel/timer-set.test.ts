import { describe, expect, it } from "vitest";
import type { Timers } from "./time.ts";
import { TimerSet } from "./timer-set.ts";

/** Platform timers driven by hand, counting every set and clear; `now` moves only with `advance`. */
function manualTimers() {
  let now = 0;
  let id = 0;
  const pending = new Map<number, { at: number; callback: () => void }>();
  const calls = { set: 0, clear: 0 };
  const base: Timers = {
    setTimeout(callback, ms) {
      calls.set++;
      pending.set(++id, { at: now + ms, callback });
      return id;
    },
    clearTimeout(handle) {
      calls.clear++;
      pending.delete(handle as number);
    },
  };
  const advance = (ms: number): void => {
    const until = now + ms;
    for (;;) {
      const next = [...pending].sort((a, b) => a[1].at - b[1].at)[0];
      if (!next || next[1].at > until) break;
      pending.delete(next[0]);
      now = next[1].at;
      next[1].callback();
    }
    now = until;
  };
  return { base, clock: { now: () => now }, calls, advance, pending };
}

describe("TimerSet", () => {
  it("carries many timeouts on one platform timer, set once and cleared once", () => {
    const t = manualTimers();
    const set = new TimerSet(t.base, t.clock);
    const deadline = set.setTimeout(() => {}, 25_000);
    const first = set.setTimeout(() => {}, 10_000);
    const second = set.setTimeout(() => {}, 10_000);
    set.clearTimeout(first);
    set.clearTimeout(second);
    set.clearTimeout(deadline);
    // The deadline armed the timer a horizon ahead, the node timeouts joined it; the last clear took it down.
    expect(t.calls).toEqual({ set: 1, clear: 1 });
    expect(t.pending.size).toBe(0);
    expect(set.size).toBe(0);
  });

  it("fires a timeout beyond the horizon on time, waking once a horizon until then", () => {
    const t = manualTimers();
    const set = new TimerSet(t.base, t.clock);
    const fired: number[] = [];
    set.setTimeout(() => fired.push(t.clock.now()), 25_000);
    t.advance(24_999);
    expect(fired).toEqual([]);
    t.advance(1);
    expect(fired).toEqual([25_000]);
    expect(t.calls.set).toBe(25);
    expect(t.pending.size).toBe(0);
  });

  it("re-arms for a timeout earlier than the armed one", () => {
    const t = manualTimers();
    const set = new TimerSet(t.base, t.clock);
    const fired: number[] = [];
    set.setTimeout(() => fired.push(t.clock.now()), 800);
    set.setTimeout(() => fired.push(t.clock.now()), 100);
    expect(t.calls).toEqual({ set: 2, clear: 1 });
    t.advance(1_000);
    expect(fired).toEqual([100, 800]);
  });

  it("arms nothing more for a timeout later than the armed one", () => {
    const t = manualTimers();
    const set = new TimerSet(t.base, t.clock);
    for (let i = 0; i < 10; i++) set.setTimeout(() => {}, 1_000 + i);
    expect(t.calls.set).toBe(1);
  });

  it("fires each timeout at its time, in due order, same times in the order they were set", () => {
    const t = manualTimers();
    const set = new TimerSet(t.base, t.clock);
    const fired: string[] = [];
    set.setTimeout(() => fired.push(`c@${t.clock.now()}`), 300);
    set.setTimeout(() => fired.push(`a@${t.clock.now()}`), 100);
    set.setTimeout(() => fired.push(`b1@${t.clock.now()}`), 200);
    set.setTimeout(() => fired.push(`b2@${t.clock.now()}`), 200);
    t.advance(150);
    expect(fired).toEqual(["a@100"]);
    t.advance(1_000);
    expect(fired).toEqual(["a@100", "b1@200", "b2@200", "c@300"]);
    expect(t.pending.size).toBe(0);
  });

  it("never fires a cleared timeout, even when it was the earliest (the timer wakes early and re-arms)", () => {
    const t = manualTimers();
    const set = new TimerSet(t.base, t.clock);
    const fired: string[] = [];
    const early = set.setTimeout(() => fired.push("early"), 100);
    set.setTimeout(() => fired.push(`late@${t.clock.now()}`), 500);
    set.clearTimeout(early);
    t.advance(400);
    expect(fired).toEqual([]);
    t.advance(100);
    expect(fired).toEqual(["late@500"]);
  });

  it("lets a callback set and clear others while it fires", () => {
    const t = manualTimers();
    const set = new TimerSet(t.base, t.clock);
    const fired: string[] = [];
    let doomed: unknown;
    set.setTimeout(() => {
      fired.push("first");
      set.clearTimeout(doomed);
      set.setTimeout(() => fired.push(`grace@${t.clock.now()}`), 50);
    }, 100);
    // Due at the same time, after the first: cleared by it before its turn.
    doomed = set.setTimeout(() => fired.push("doomed"), 100);
    t.advance(100);
    expect(fired).toEqual(["first"]);
    t.advance(50);
    expect(fired).toEqual(["first", "grace@150"]);
  });

  it("fires what the armed timer waited for even when the clock does not move", () => {
    const t = manualTimers();
    const frozen = { now: () => 0 };
    const set = new TimerSet(t.base, frozen);
    const fired: number[] = [];
    set.setTimeout(() => fired.push(1), 100);
    set.setTimeout(() => fired.push(2), 100);
    t.advance(100);
    expect(fired).toEqual([1, 2]);
  });

  it("ignores a handle cleared twice or never set", () => {
    const t = manualTimers();
    const set = new TimerSet(t.base, t.clock);
    const handle = set.setTimeout(() => {}, 10);
    set.clearTimeout(handle);
    set.clearTimeout(handle);
    set.clearTimeout(undefined);
    expect(set.size).toBe(0);
  });

  it("keeps the heap in order through many sets and clears", () => {
    const t = manualTimers();
    const set = new TimerSet(t.base, t.clock);
    const fired: number[] = [];
    const handles = new Map<number, unknown>();
    // Deterministic pseudo-random dues; every third one cleared.
    let seed = 7;
    const next = () => (seed = (seed * 48271) % 2147483647);
    for (let i = 0; i < 200; i++) {
      const due = next() % 1_000;
      handles.set(
        i,
        set.setTimeout(() => fired.push(due), due),
      );
    }
    for (let i = 0; i < 200; i += 3) set.clearTimeout(handles.get(i));
    t.advance(1_000);
    expect(fired).toHaveLength(200 - 67);
    expect(fired).toEqual([...fired].sort((a, b) => a - b));
  });
});
