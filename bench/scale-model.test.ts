import { describe, expect, it } from "vitest";
import { type BudgetPolicy, RateBudget } from "../capabilities/github/budget/budget.ts";
import { RefusalMemory } from "../capabilities/github/budget/refusals.ts";
import { DEFAULT_BUDGET_POLICY } from "../capabilities/github/rest/settings.ts";
import { seededRandom } from "../test/random.ts";
import {
  budgetCalls,
  classLoad,
  expectedBusiest,
  GITHUB_WINDOW,
  normalQuantile,
  objectClasses,
  type RestWindow,
  steadyBudgetCalls,
  target,
  windowCalls,
  zipf,
} from "./scale-model.ts";

/**
 * The budget's code path under Poisson calls of one installation, without latency: the object's `RateBudget`, a
 * `RefusalMemory` per isolate (each call goes to one at random), callers that do not wait, and a stand-in GitHub
 * with windows on the clock's multiples that counts what it would refuse. Times in seconds.
 */
function simulateBudget(rate: number, start: number, end: number, w: RestWindow, random: () => number) {
  // The runtime's policy, as the simulation's REST node sets it (`budgetReserve: 0`).
  const policy: BudgetPolicy = { ...DEFAULT_BUDGET_POLICY, reserve: 0, skewMs: w.skewSeconds * 1_000 };
  const budget = new RateBudget();
  const memories = Array.from({ length: w.isolates }, () => new RefusalMemory());
  const used = new Map<number, number>();
  const out = { objectCalls: 0, admitted: 0, objectRefusals: 0, isolateRefusals: 0, refusedByGitHub: 0 };
  // Exponential gaps between calls: a Poisson process.
  const gap = () => -Math.log(1 - random()) / rate;
  for (let t = start + gap(); t < end; t += gap()) {
    const now = t * 1_000;
    const memory = memories[Math.floor(random() * w.isolates)]!;
    if (memory.held("b", "core", now)) {
      out.isolateRefusals++;
      continue;
    }
    out.objectCalls++;
    const answer = budget.take(now, { resource: "core", content: false, maxWaitMs: 0, policy });
    if (!answer.ok) {
      out.objectRefusals++;
      memory.remember("b", "core", answer, now);
      continue;
    }
    memory.permitted("b", "core");
    out.admitted++;
    const window = Math.floor(t / w.windowSeconds);
    const n = (used.get(window) ?? 0) + 1;
    used.set(window, n);
    if (n > w.limit) out.refusedByGitHub++;
    const reset = (window + 1) * w.windowSeconds;
    const report = {
      permit: answer.permit,
      resource: "core",
      limit: w.limit,
      remaining: Math.max(0, w.limit - n),
      reset,
    };
    memory.reported("b", report);
    out.objectCalls++;
    budget.report(now, policy, [report]);
  }
  return out;
}

describe("the scale model", () => {
  it("has the normal quantiles of the tables", () => {
    expect(normalQuantile(0.5)).toBeCloseTo(0, 9);
    expect(normalQuantile(0.975)).toBeCloseTo(1.959964, 5);
    expect(normalQuantile(0.999)).toBeCloseTo(3.090232, 5);
    expect(normalQuantile(0.001)).toBeCloseTo(-3.090232, 5);
  });

  it("predicts the busiest of 256 shards (within 3%) and its spread (within 20%) as a Monte Carlo finds them", () => {
    const random = seededRandom(7);
    // Keys that bring 2 calls to their shard (a sync delivery) and 6 (a queued delivery's journal).
    const groups = [
      { keys: 3_000, calls: 2 },
      { keys: 2_000, calls: 6 },
    ];
    const rounds = 300;
    const maxima: number[] = [];
    for (let round = 0; round < rounds; round++) {
      const counts = new Array<number>(256).fill(0);
      for (const g of groups) for (let k = 0; k < g.keys; k++) counts[Math.floor(random() * 256)]! += g.calls;
      maxima.push(Math.max(...counts));
    }
    const mean = maxima.reduce((a, b) => a + b, 0) / rounds;
    const sd = Math.sqrt(maxima.reduce((a, b) => a + (b - mean) ** 2, 0) / (rounds - 1));
    const predicted = expectedBusiest(groups, 256);
    expect(Math.abs(predicted.busiest / mean - 1)).toBeLessThan(0.03);
    // The spread of the busiest is what the simulation's tolerance is made of.
    expect(Math.abs(predicted.sd / sd - 1)).toBeLessThan(0.2);
  });

  it("counts the ledger calls of a webhook as the code path makes them, and spreads Zipf installations", () => {
    const [ledger, journal] = objectClasses();
    expect(ledger!.calls).toEqual({ syncPure: 1, syncEffect: 2, queue: 3, redelivery: 1 });
    expect(journal!.calls.queue).toBe(6);
    const shares = zipf(1_000, 1);
    expect(shares.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    // 1 / H(1000) = 1 / 7.4855
    expect(shares[0]).toBeCloseTo(0.13359, 4);
    const load = classLoad(ledger!, target("queue"));
    expect(load.callsPerSecond).toBe(30_000);
    expect(load.meanPerObject).toBeCloseTo(117.19, 2);
  });

  it("predicts the budget's object calls as its code path makes them (Monte Carlo of RateBudget and the isolates' memory)", () => {
    const random = seededRandom(19);
    for (const isolates of [1, 4]) {
      const w: RestWindow = { limit: 10, windowSeconds: 10, skewSeconds: 1, isolates };
      for (const rate of [0.3, 1.5, 4, 25]) {
        const rounds = 300;
        let simulated = { objectCalls: 0, admitted: 0, objectRefusals: 0 };
        let modelled = { objectCalls: 0, admitted: 0, objectRefusals: 0 };
        for (let round = 0; round < rounds; round++) {
          // 42 s of calls from a random point of a window, as the simulation's load starts anywhere.
          const start = 1_000_000 + random() * w.windowSeconds;
          const run = simulateBudget(rate, start, start + 42, w, random);
          expect(run.refusedByGitHub).toBe(0);
          const model = budgetCalls(
            windowCalls(start, start + 42, w, (a, b) => rate * (b - a)),
            w,
          );
          simulated = {
            objectCalls: simulated.objectCalls + run.objectCalls,
            admitted: simulated.admitted + run.admitted,
            objectRefusals: simulated.objectRefusals + run.objectRefusals,
          };
          modelled = {
            objectCalls: modelled.objectCalls + model.objectCalls,
            admitted: modelled.admitted + model.admitted,
            objectRefusals: modelled.objectRefusals + model.objectRefusals,
          };
        }
        // Within 1% on 2026-12-03 (refusals within 2%; at 0.3 calls/s they are few: 5%).
        const what = `${isolates} isolate(s), ${rate} calls/s`;
        expect(Math.abs(modelled.objectCalls / simulated.objectCalls - 1), what).toBeLessThan(0.03);
        expect(Math.abs(modelled.admitted / simulated.admitted - 1), what).toBeLessThan(0.03);
        if (rate >= 1.5)
          expect(Math.abs(modelled.objectRefusals / simulated.objectRefusals - 1), what).toBeLessThan(0.05);
      }
    }
  });

  it("puts a busy installation's budget at about two calls per call GitHub takes, not one per REST call", () => {
    const w: RestWindow = { limit: 10, windowSeconds: 10, skewSeconds: 1, isolates: 1 };
    // 25 REST calls/s against 10 a window: 10 admitted (a take and a report each) and 1 refusal per window.
    const busy = steadyBudgetCalls(25, w);
    expect(busy.objectCalls).toBeCloseTo(2.1, 6);
    expect(busy.isolateRefusals).toBeCloseTo(25 - 1.1, 6);
    // 0.01 calls/s: each admitted (a take and a report), all but those in a window's first second.
    const quiet = steadyBudgetCalls(0.01, w);
    expect(quiet.admitted / quiet.restCalls).toBeGreaterThan(0.99);
    expect(quiet.objectCalls / quiet.restCalls).toBeCloseTo(2, 1);
    // At 10,000 webhooks/s with 2 REST calls each, GitHub's window: the busiest object about 2.8 calls/s.
    const [, , , budget] = objectClasses();
    const load = classLoad(budget!, target("syncEffect", 2));
    expect(load.busiestPerObject).toBeGreaterThan((2 * GITHUB_WINDOW.limit) / GITHUB_WINDOW.windowSeconds);
    expect(load.busiestPerObject).toBeLessThan(3);
  });
});
