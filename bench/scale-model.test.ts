import { describe, expect, it } from "vitest";
import { seededRandom } from "../test/random.ts";
import { classLoad, expectedBusiest, normalQuantile, objectClasses, target, zipf } from "./scale-model.ts";

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
});
