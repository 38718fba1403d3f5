import { describe, expect, it } from "vitest";
import { INDEX_SHARDS } from "../../hosts/workers/runs/declaration.ts";
import { seededRandom } from "../../test/random.ts";
import {
  DEFAULT_SHARDS,
  journalObjectName,
  ledgerObjectName,
  MAX_SHARDS,
  runtimeSharding,
  shardOf,
} from "./shards.ts";

/**
 * The spread of keys over shards: 100,000 distinct keys of each kind the runtime shards (delivery ids, run ids,
 * journal run keys, idempotency keys with sequential parts, installation ids), counted per shard and compared with
 * a uniform spread by Pearson's chi-square statistic, which must stay below the critical value at p = 0.001.
 */

const KEYS = 100_000;

const random = seededRandom(19);
const hex = (digits: number): string =>
  Array.from({ length: digits }, () => Math.floor(random() * 16).toString(16)).join("");
/** A version-4 UUID's shape, as GitHub's `X-GitHub-Delivery` and the runtime's run ids have it. */
const uuid = (): string =>
  `${hex(8)}-${hex(4)}-4${hex(3)}-${"89ab"[Math.floor(random() * 4)]}${hex(3)}-${hex(12)}`;

/** Each kind of key, as the runtime forms it; `i` counts up from 0. */
const FAMILIES: Record<string, (i: number) => string> = {
  "delivery ids (ledger keys)": () => `github-delivery:${uuid()}`,
  "run ids (run store index)": () => uuid(),
  "queue journal run keys": () => `queue:gh-events:github-webhook-queue:${hex(32)}`,
  "idempotency keys with a sequential order number": (i) => `checkout:charge:order-${i + 1}`,
  "sequential installation ids": (i) => `app:123456:${40_000_000 + i}`,
};

/**
 * The chi-square quantile for `df` degrees of freedom at upper-tail probability p = 0.001, by the Wilson–Hilferty
 * approximation: χ²_p ≈ df · (1 − 2/(9·df) + z_p · √(2/(9·df)))³ with z_{0.999} = 3.090232 (E. B. Wilson and
 * M. M. Hilferty, "The distribution of chi-square", PNAS 17(12):684–688, 1931). Against the exact quantiles it is
 * 0.4% high at df = 15 (37.84 for 37.70), 0.2% at df = 31 (61.20 for 61.10) and 0.01% at df = 255 (330.55 for
 * 330.52): a test this lenient by a few tenths of a percent.
 */
function chiSquareCritical(df: number): number {
  const z = 3.090232;
  const a = 2 / (9 * df);
  return df * (1 - a + z * Math.sqrt(a)) ** 3;
}

/** Pearson's chi-square statistic of `count` distinct keys spread by `shard` over `shards`, against uniform. */
function chiSquare(keys: readonly string[], shards: number, shard: (key: string) => number): number {
  const counts = new Array<number>(shards).fill(0);
  for (const key of keys) counts[shard(key)]!++;
  const expected = keys.length / shards;
  return counts.reduce((sum, n) => sum + (n - expected) ** 2 / expected, 0);
}

function distinctKeys(family: (i: number) => string): string[] {
  const seen = new Set<string>();
  for (let i = 0; seen.size < KEYS; i++) seen.add(family(i));
  return [...seen];
}

const keysByFamily = Object.entries(FAMILIES).map(([name, family]) => [name, distinctKeys(family)] as const);

describe("shardOf", () => {
  it("approximates the chi-square critical values of the tables", () => {
    // Exact quantiles at p = 0.001 (NIST/SEMATECH e-Handbook, table 1.3.6.7.4; R's qchisq(0.999, df)).
    expect(chiSquareCritical(15)).toBeCloseTo(37.697, 0);
    expect(chiSquareCritical(31)).toBeCloseTo(61.098, 0);
    expect(chiSquareCritical(255)).toBeCloseTo(330.52, 0);
  });

  for (const shards of [INDEX_SHARDS, 32, DEFAULT_SHARDS]) {
    for (const [name, keys] of keysByFamily) {
      it(`spreads 100,000 ${name} evenly over ${shards} shards (chi-square below p = 0.001)`, () => {
        const statistic = chiSquare(keys, shards, (key) => shardOf(key, shards));
        expect(statistic).toBeLessThan(chiSquareCritical(shards - 1));
      });
    }
  }

  it("fails the same check for a hash that reads only the first character after the prefix", () => {
    // The test can fail: a shard picked from one hex digit of the delivery id uses 16 of 256 shards.
    const [, keys] = keysByFamily[0]!;
    const firstChar = (key: string) => key.charCodeAt("github-delivery:".length) % DEFAULT_SHARDS;
    expect(chiSquare(keys, DEFAULT_SHARDS, firstChar)).toBeGreaterThan(chiSquareCritical(DEFAULT_SHARDS - 1));
  });

  it("fails the same check for FNV-1a alone on sequential keys, which the finaliser fixes", () => {
    const fnv1a = (key: string): number => {
      let hash = 0x811c9dc5;
      for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193);
      return (hash >>> 0) % DEFAULT_SHARDS;
    };
    const keys = keysByFamily.find(([name]) => name.startsWith("sequential installation"))![1];
    expect(chiSquare(keys, DEFAULT_SHARDS, fnv1a)).toBeGreaterThan(chiSquareCritical(DEFAULT_SHARDS - 1));
  });

  it("is stable and within range", () => {
    expect(shardOf("github-delivery:abc", 256)).toBe(shardOf("github-delivery:abc", 256));
    for (const [, keys] of keysByFamily)
      for (const key of keys.slice(0, 1000)) expect(shardOf(key, 7)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...keysByFamily[0]![1].slice(0, 1000).map((k) => shardOf(k, 7)))).toBe(6);
  });
});

describe("runtimeSharding", () => {
  it("defaults to DEFAULT_SHARDS and reads FLOWS_RUNTIME_SHARDS as a number or a string", () => {
    expect(runtimeSharding(undefined)).toEqual({ count: DEFAULT_SHARDS });
    expect(runtimeSharding({})).toEqual({ count: 256 });
    expect(runtimeSharding({ FLOWS_RUNTIME_SHARDS: "64" })).toEqual({ count: 64 });
    expect(runtimeSharding({ FLOWS_RUNTIME_SHARDS: 1024 })).toEqual({ count: 1024 });
  });

  it("keeps the names of deployments made with 0.2 or earlier with `legacy`: FNV-1a of the key, modulo 32", () => {
    const legacy = runtimeSharding({ FLOWS_RUNTIME_SHARDS: "legacy" });
    expect(legacy).toEqual({ count: 32, legacy: true });
    // The names the 0.2 ledger gave these keys (FNV-1a % 32, computed by hand from the old `shardOf`).
    expect(ledgerObjectName("a", legacy)).toBe("ledger:12");
    expect(ledgerObjectName("github-delivery:1", legacy)).toBe(
      `ledger:${(() => {
        let h = 0x811c9dc5;
        for (const c of "github-delivery:1") h = Math.imul(h ^ c.charCodeAt(0), 0x01000193);
        return (h >>> 0) % 32;
      })()}`,
    );
    expect(journalObjectName("queue:q:f:m", { count: 256 })).toBe(`journal:${shardOf("queue:q:f:m", 256)}`);
  });

  it("refuses a count it cannot use, naming the var, the range and the value", () => {
    for (const value of ["0", "many", 2.5, MAX_SHARDS + 1, true])
      expect(() => runtimeSharding({ FLOWS_RUNTIME_SHARDS: value })).toThrow(
        `FLOWS_RUNTIME_SHARDS must be an integer from 1 to 4096 or "legacy", not ${JSON.stringify(value)}`,
      );
  });
});
