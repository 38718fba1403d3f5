import { DEFAULT_SHARDS } from "../capabilities/durable-objects/shards.ts";
import { INDEX_SHARDS } from "../hosts/workers/runs/declaration.ts";

/**
 * The load model of impl-docs/scale.md: what one webhook costs each Durable Object the runtime uses (counted from
 * the code path, and checked by `bench/scale.ts`, which measures it), the platform's limits with their sources, and
 * the per-object rate a traffic mix gives. `node bench/scale-model.ts` prints the sizing of 10,000 webhooks/s over
 * 1,000 installations that scale.md quotes.
 */

/** The platform's limits that bound the runtime's scale, each with the page it comes from. */
export const LIMITS = {
  objectRequestsPerSecond: {
    value: 1_000,
    what: "requests/s to one Durable Object (soft limit; more are queued, then refused as overloaded)",
    source: "https://developers.cloudflare.com/durable-objects/platform/limits/",
  },
  queueMessagesPerSecond: {
    value: 5_000,
    what: "messages/s per queue (send() throws Too Many Requests above it)",
    source: "https://developers.cloudflare.com/queues/platform/limits/",
  },
  queueConsumers: {
    value: 250,
    what: "concurrent consumer invocations per queue (push consumers)",
    source: "https://developers.cloudflare.com/queues/platform/limits/",
  },
  queueBatch: {
    value: 100,
    what: "messages per consumer batch (max_batch_size)",
    source: "https://developers.cloudflare.com/queues/platform/limits/",
  },
  queueMessageBytes: {
    value: 128_000,
    what: "bytes per queue message",
    source: "https://developers.cloudflare.com/queues/platform/limits/",
  },
  subrequestsPaid: {
    value: 10_000,
    what: "subrequests per invocation, Workers Paid (Free: 50)",
    source: "https://developers.cloudflare.com/workers/platform/limits/",
  },
  connections: {
    value: 6,
    what: "simultaneous outgoing connections per invocation",
    source: "https://developers.cloudflare.com/workers/platform/limits/",
  },
  kvWritesPerKeyPerSecond: {
    value: 1,
    what: "writes/s to one KV key",
    source: "https://developers.cloudflare.com/kv/platform/limits/",
  },
  kvOperationsPerInvocation: {
    value: 1_000,
    what: "KV operations per invocation",
    source: "https://developers.cloudflare.com/kv/platform/limits/",
  },
  workflowCreationsPerSecond: {
    value: 100,
    what: "Workflow instances created per second per workflow (300 per account)",
    source: "https://developers.cloudflare.com/workflows/reference/limits/",
  },
  githubRequestsPerHour: {
    value: 5_000,
    what: "REST requests/h per App installation (up to 12,500 with many users and repositories; 15,000 on GitHub Enterprise Cloud)",
    source: "https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api",
  },
} as const;

/** How a delivery goes through the webhook flow. */
export type Mode = "syncPure" | "syncEffect" | "queue";

/** What a traffic mix is made of, per second. */
export interface Traffic {
  /** Fresh deliveries per second, by mode. */
  fresh: Record<Mode, number>;
  /** Redeliveries (an id already claimed) per second. */
  redeliveries: number;
  /** Installations, and the share of the deliveries each one sends (sums to 1), busiest first. */
  installationShares: readonly number[];
  /** GitHub REST calls the routed flows make per delivery (the budget object takes one call per REST call). */
  restCallsPerDelivery: number;
}

/**
 * One class of object: its key, what calls it per delivery (from the code path), and how many objects share the
 * load. `spread: "hash"` objects take an even share of every call; `"installation"` ones the share of their
 * installation.
 */
export interface ObjectClass {
  name: string;
  key: string;
  /** Calls per fresh delivery of each mode, and per redelivery. */
  calls: Record<Mode, number> & { redelivery: number };
  /** Calls per REST call of the routed flows (the budget). */
  perRestCall?: number;
  spread: "hash" | "installation";
  /** Objects of a hashed class. */
  objects?: number;
  /** Where the counts come from. */
  callers: string;
}

/**
 * Journal calls per queued delivery: the consumer's run is journaled by its message id, and each of its steps
 * costs one `journalGet` (is it recorded already?) and, once done, one `journalPut`: `dispatch`, each routed flow's
 * effectful node (`dispatch#1/<flow>#1/<node>#1`; the simulation's flow has one) and `complete`. The simulation
 * measures it.
 */
export const JOURNAL_CALLS_PER_QUEUED = 6;

/** The runtime's objects on a webhook's path (and the GitHub budget, keyed per installation). */
export function objectClasses(shards = DEFAULT_SHARDS, legacy = false): ObjectClass[] {
  const name = (key: string) => (legacy ? `fnv1a(${key}) % 32` : `shardOf(${key}, ${shards})`);
  return [
    {
      name: "ledger",
      key: `ledger:<${name("key")}> (FlowsRuntime)`,
      calls: { syncPure: 1, syncEffect: 2, queue: 3, redelivery: 1 },
      spread: "hash",
      objects: shards,
      callers:
        "record (pure flows); claim, then complete under waitUntil (sync); claim, defer, and the consumer's complete (queue); one claim or record for a redelivery",
    },
    {
      name: "journal",
      key: `journal:<${name("runKey")}> (FlowsRuntime)`,
      calls: { syncPure: 0, syncEffect: 0, queue: JOURNAL_CALLS_PER_QUEUED, redelivery: 0 },
      spread: "hash",
      objects: shards,
      callers:
        "the queue consumer's run: journalGet and journalPut per step (dispatch, the routed node, complete)",
    },
    {
      name: "tally (the routed flow's own object, per installation)",
      key: "tally:<installationId> (FlowsState)",
      calls: { syncPure: 0, syncEffect: 1, queue: 1, redelivery: 0 },
      spread: "installation",
      callers: "the simulation's routed flow: one do.increment per delivery",
    },
    {
      name: "budget (per installation)",
      key: "app:<appId>:<installationId> (FlowsGitHubBudget)",
      calls: { syncPure: 0, syncEffect: 0, queue: 0, redelivery: 0 },
      perRestCall: 1,
      spread: "installation",
      callers: "one call per GitHub REST call of the routed flows",
    },
  ];
}

/** Calls per second of a class under a traffic mix. */
export function classRate(c: ObjectClass, traffic: Traffic): number {
  const fresh = traffic.fresh;
  const deliveries = fresh.syncPure + fresh.syncEffect + fresh.queue;
  return (
    fresh.syncPure * c.calls.syncPure +
    fresh.syncEffect * c.calls.syncEffect +
    fresh.queue * c.calls.queue +
    traffic.redeliveries * c.calls.redelivery +
    deliveries * traffic.restCallsPerDelivery * (c.perRestCall ?? 0)
  );
}

/** Φ⁻¹(p), the standard normal quantile (Acklam's rational approximation, relative error < 1.2e-9). */
export function normalQuantile(p: number): number {
  const a = [
    -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716,
    2.506628277459239,
  ];
  const b = [
    -54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572,
  ];
  const c = [
    -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
    2.938163982698783,
  ];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const tail = (q: number) =>
    (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) /
    ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  if (p < 0.02425) return tail(Math.sqrt(-2 * Math.log(p)));
  if (p > 1 - 0.02425) return -tail(Math.sqrt(-2 * Math.log(1 - p)));
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) /
    (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1)
  );
}

/**
 * The expected largest of the counts of `objects` shards when keys land on shards evenly at random and each key
 * brings `m` calls to its shard (a delivery's claim and complete go to the same one): `groups` lists, per kind of
 * key, how many keys and their `m`. A shard's count is Σ m·Bernoulli(1/objects) over the keys: mean Σ m·k / n,
 * variance Σ m²·k · p(1 − p); the largest of n such is about mean + σ · (z + (z² − 1)·γ/6), z = Φ⁻¹((n − 0.375) /
 * (n + 0.25)) (Blom's approximation of the expected largest of n normal samples, with the Cornish–Fisher term for
 * the count's skewness γ). `scale-model.test.ts` checks it against a Monte Carlo.
 */
export function expectedBusiest(
  groups: readonly { keys: number; calls: number }[],
  objects: number,
): { busiest: number; sd: number } {
  const p = 1 / objects;
  const mean = groups.reduce((s, g) => s + g.keys * g.calls, 0) * p;
  if (objects === 1) return { busiest: mean, sd: 0 };
  const sigma = Math.sqrt(groups.reduce((s, g) => s + g.keys * g.calls ** 2, 0) * p * (1 - p));
  if (sigma === 0) return { busiest: mean, sd: 0 };
  // A shard's count is skewed to the right (a sum of rare events), more so when keys bring many calls: the
  // Cornish–Fisher term (z² − 1)·γ/6 corrects the normal quantile for the skewness γ = κ₃ / σ³.
  const k3 = groups.reduce((s, g) => s + g.keys * g.calls ** 3, 0) * p * (1 - p) * (1 - 2 * p);
  const gamma = k3 / sigma ** 3;
  const z = normalQuantile((objects - 0.375) / (objects + 0.25));
  // The largest of n normals spreads like a Gumbel variable of scale 1 / (n·φ(b)), b = Φ⁻¹(1 − 1/n): its standard
  // deviation is that scale · π/√6 (within 10% of a Monte Carlo for 32 and 256 shards).
  const b = normalQuantile(1 - 1 / objects);
  const density = Math.exp((-b * b) / 2) / Math.sqrt(2 * Math.PI);
  const sd = (sigma * Math.PI) / Math.sqrt(6) / (objects * density);
  return { busiest: mean + sigma * (z + ((z * z - 1) * gamma) / 6), sd };
}

/** What a class of object gets under a traffic mix: calls/s, objects, mean and busiest object's calls/s. */
export interface ClassLoad {
  callsPerSecond: number;
  objects: number;
  meanPerObject: number;
  busiestPerObject: number;
  /** The standard deviation of the busiest object's rate (hashed: of the largest shard; else binomial). */
  busiestSd: number;
  /** The busiest object's rate ÷ the Durable Object soft limit. */
  ofLimit: number;
}

/**
 * The load of class `c` over `seconds` of `traffic`: hashed classes spread evenly (busiest: `expectedBusiest` of the
 * keys in the window, as a rate: the longer the window, the closer the busiest shard to the mean);
 * per-installation classes follow the installations' shares.
 */
export function classLoad(c: ObjectClass, traffic: Traffic, seconds = 1): ClassLoad {
  const callsPerSecond = classRate(c, traffic);
  if (c.spread === "hash") {
    const objects = c.objects ?? DEFAULT_SHARDS;
    const modes: Mode[] = ["syncPure", "syncEffect", "queue"];
    const groups = [
      ...modes.map((mode) => ({ keys: traffic.fresh[mode] * seconds, calls: c.calls[mode] })),
      { keys: traffic.redeliveries * seconds, calls: c.calls.redelivery },
    ];
    const { busiest, sd } = expectedBusiest(groups, objects);
    return {
      callsPerSecond,
      objects,
      meanPerObject: callsPerSecond / objects,
      busiestPerObject: busiest / seconds,
      busiestSd: sd / seconds,
      ofLimit: busiest / seconds / LIMITS.objectRequestsPerSecond.value,
    };
  }
  const shares = traffic.installationShares;
  const top = shares[0] ?? 0;
  const busiest = callsPerSecond * top;
  // The busiest installation's count over the window is binomial: calls × share, sd √(calls · share · (1 − share)).
  const calls = callsPerSecond * seconds;
  return {
    callsPerSecond,
    objects: shares.length,
    meanPerObject: callsPerSecond / shares.length,
    busiestPerObject: busiest,
    busiestSd: Math.sqrt(calls * top * (1 - top)) / seconds,
    ofLimit: busiest / LIMITS.objectRequestsPerSecond.value,
  };
}

/** Shares of ranks 1..n under a Zipf law with exponent s (rank k ∝ 1/k^s), busiest first. */
export function zipf(n: number, s: number): number[] {
  const weights = Array.from({ length: n }, (_, k) => 1 / (k + 1) ** s);
  const total = weights.reduce((a, b) => a + b, 0);
  return weights.map((w) => w / total);
}

/** The target: 10,000 webhooks/s over 1,000 installations, Zipf s = 1, in one mode. */
export function target(mode: Mode, restCallsPerDelivery = 0, webhooksPerSecond = 10_000): Traffic {
  const fresh: Record<Mode, number> = { syncPure: 0, syncEffect: 0, queue: 0 };
  fresh[mode] = webhooksPerSecond;
  return { fresh, redeliveries: 0, installationShares: zipf(1_000, 1), restCallsPerDelivery };
}

/** The run store's index shards of the webhook flow when every run of it is recorded (`record: all`). */
export const indexShardRate = (runsPerSecond: number): number => runsPerSecond / INDEX_SHARDS;

if (import.meta.main) {
  const rows: string[][] = [];
  for (const [label, traffic, shards] of [
    ["sync, effectful flows", target("syncEffect", 2), DEFAULT_SHARDS],
    ["ack: queue", target("queue", 2), DEFAULT_SHARDS],
    ["sync, effectful flows, 32 shards (0.2)", target("syncEffect", 2), 32],
    ["ack: queue, 32 shards (0.2)", target("queue", 2), 32],
  ] as const) {
    for (const c of objectClasses(shards)) {
      if (shards !== DEFAULT_SHARDS && c.spread !== "hash") continue;
      const load = classLoad(c, traffic);
      if (load.callsPerSecond === 0) continue;
      rows.push([
        label,
        c.name,
        String(load.objects),
        Math.round(load.callsPerSecond).toLocaleString("en"),
        load.meanPerObject.toFixed(1),
        load.busiestPerObject.toFixed(1),
        `${(load.ofLimit * 100).toFixed(1)}%`,
      ]);
    }
  }
  console.log(
    "| traffic (10,000 webhooks/s, 1,000 installations, Zipf s = 1, 2 REST calls each) | object | objects | calls/s | mean per object | busiest object | busiest ÷ 1,000/s |",
  );
  console.log("| --- | --- | --- | --- | --- | --- | --- |");
  for (const row of rows) console.log(`| ${row.join(" | ")} |`);
  const shares = zipf(1_000, 1);
  console.log(
    `\nZipf s = 1 over 1,000 installations: the busiest sends ${(shares[0]! * 100).toFixed(1)}% (${Math.round(shares[0]! * 10_000)} webhooks/s), the 10 busiest ${(shares.slice(0, 10).reduce((a, b) => a + b, 0) * 100).toFixed(1)}%, the median one ${(shares[499]! * 10_000).toFixed(2)} webhooks/s.`,
  );
  console.log(
    `Run index shard of the webhook flow with record: all: ${indexShardRate(10_000)} lines/s each.`,
  );
}
