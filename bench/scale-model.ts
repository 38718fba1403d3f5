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
  /** GitHub REST calls the routed flows make per delivery (each asks the installation's budget, or its isolate). */
  restCallsPerDelivery: number;
  /** GitHub's window as the budget meets it (the budget class's load follows it); GitHub's own by default. */
  restWindow?: RestWindow;
}

/**
 * One class of object: its key, what calls it per delivery (from the code path), and how many objects share the
 * load. `spread: "hash"` objects take an even share of every call; `"installation"` ones the share of their
 * installation; `"budget"` (one per installation) follows its installation's REST calls through GitHub's window
 * (`budgetCalls`).
 */
export interface ObjectClass {
  name: string;
  key: string;
  /** The names of its objects begin with this (`ledger:`, `tally:`, `app:`…). */
  prefix: string;
  /** Calls per fresh delivery of each mode, and per redelivery. */
  calls: Record<Mode, number> & { redelivery: number };
  /** The budget: reports sent on their own per admitted REST call (1 when each node makes one call). */
  reportsPerCall?: number;
  spread: "hash" | "installation" | "budget";
  /** Objects of a hashed class. */
  objects?: number;
  /** Where the counts come from. */
  callers: string;
}

/**
 * Journal calls per queued delivery: the consumer's run is journaled by its message id, and each of its steps
 * costs one `journalGet` (is it recorded already?) and, once done, one `journalPut`: `dispatch`, each routed flow's
 * journaled node (effectful: `read`, `write`, `external`; `dispatch#1/<flow>#1/<node>#1`) and `complete`. The
 * simulation measures it.
 */
export const journalCallsPerQueued = (journaledNodes: number): number => 2 * (2 + journaledNodes);
export const JOURNAL_CALLS_PER_QUEUED = journalCallsPerQueued(1);

/** What the routed flows do per delivery, as far as the objects see it. */
export interface RoutedFlows {
  /** Effectful nodes per delivery (journaled on the queue path); default 1. */
  journaledNodes?: number;
  /** GitHub REST calls per node that makes them (their reports ride with the next take); default 1. */
  restCallsPerNode?: number;
}

/** The runtime's objects on a webhook's path (and the GitHub budget, keyed per installation). */
export function objectClasses(
  shards = DEFAULT_SHARDS,
  legacy = false,
  routed: RoutedFlows = {},
): ObjectClass[] {
  const name = (key: string) => (legacy ? `fnv1a(${key}) % 32` : `shardOf(${key}, ${shards})`);
  const journal = journalCallsPerQueued(routed.journaledNodes ?? 1);
  return [
    {
      name: "ledger",
      key: `ledger:<${name("key")}> (FlowsRuntime)`,
      prefix: "ledger:",
      calls: { syncPure: 1, syncEffect: 2, queue: 3, redelivery: 1 },
      spread: "hash",
      objects: shards,
      callers:
        "record (pure flows); claim, then complete under waitUntil (sync); claim, defer, and the consumer's complete (queue); one claim or record for a redelivery",
    },
    {
      name: "journal",
      key: `journal:<${name("runKey")}> (FlowsRuntime)`,
      prefix: "journal:",
      calls: { syncPure: 0, syncEffect: 0, queue: journal, redelivery: 0 },
      spread: "hash",
      objects: shards,
      callers:
        "the queue consumer's run: journalGet and journalPut per step (dispatch, each routed node, complete)",
    },
    {
      name: "tally (the routed flow's own object, per installation)",
      key: "tally:<installationId> (FlowsState)",
      prefix: "tally:",
      calls: { syncPure: 0, syncEffect: 1, queue: 1, redelivery: 0 },
      spread: "installation",
      callers: "the simulation's routed flow: one do.increment per delivery",
    },
    {
      name: "budget (per installation)",
      key: "app:<appId>:<installationId> (FlowsGitHubBudget)",
      prefix: "app:",
      calls: { syncPure: 0, syncEffect: 0, queue: 0, redelivery: 0 },
      reportsPerCall: 1 / (routed.restCallsPerNode ?? 1),
      spread: "budget",
      callers:
        "per GitHub REST call: a take, and the report of an admitted call; a call in a window the isolate knows is spent asks nothing",
    },
  ];
}

/** Calls per second of a hashed or per-installation class under a traffic mix (the budget: `classLoad`). */
export function classRate(c: ObjectClass, traffic: Traffic): number {
  const fresh = traffic.fresh;
  return (
    fresh.syncPure * c.calls.syncPure +
    fresh.syncEffect * c.calls.syncEffect +
    fresh.queue * c.calls.queue +
    traffic.redeliveries * c.calls.redelivery
  );
}

/** GitHub's window as an installation's budget meets it. */
export interface RestWindow {
  /** Calls of one installation per window, less the budget's reserve. */
  limit: number;
  windowSeconds: number;
  /**
   * The budget uses a new window only this long after its reset (`BUDGET_SKEW_MS`, 1 s): a caller that cannot
   * wait that long is refused in a window's first second once the budget knew the window before.
   */
  skewSeconds: number;
  /** Isolates that call for one installation: each asks once per lasting refusal, then remembers it. */
  isolates: number;
}

/**
 * GitHub's own window: 5,000 calls an hour less the budget's default reserve of 50. The isolates are an assumption
 * (the platform decides how many serve 10,000 requests/s; 100 here): each costs its installation's object at most
 * two calls an hour (a refusal it then remembers, and one in the window's first second).
 */
export const GITHUB_WINDOW: RestWindow = {
  limit: 4_950,
  windowSeconds: 3_600,
  skewSeconds: 1,
  isolates: 100,
};

/** E[g(N)] for N ~ Poisson(λ), summed over λ ± (12√λ + 30), outside which nothing weighs at double precision. */
function poissonMean(lambda: number, g: (n: number) => number): number {
  if (lambda <= 0) return g(0);
  const spread = 12 * Math.sqrt(lambda) + 30;
  const mode = Math.floor(lambda);
  // log(n!) by Stirling's series (exact for 0 and 1).
  const logFactorial = (n: number) =>
    n < 2 ? 0 : n * Math.log(n) - n + 0.5 * Math.log(2 * Math.PI * n) + 1 / (12 * n) - 1 / (360 * n ** 3);
  const atMode = Math.exp(mode * Math.log(lambda) - lambda - logFactorial(mode));
  let sum = atMode * g(mode);
  let p = atMode;
  for (let n = mode + 1; n <= mode + spread; n++) {
    p *= lambda / n;
    sum += p * g(n);
  }
  p = atMode;
  for (let n = mode; n > 0 && n > mode - spread; n--) {
    p *= n / lambda;
    sum += p * g(n - 1);
  }
  return sum;
}

/**
 * One window's part of Poisson(λ) calls, `limit` of which GitHub takes: the calls admitted, the chance the window
 * is spent, and the refusals the object answers then (one per isolate that meets the spent window: the calls past
 * the limit fall on the isolates at random).
 */
function windowPart(lambda: number, w: RestWindow) {
  const k = w.isolates;
  const asking = (past: number) => (past <= 0 ? 0 : k * (1 - (1 - 1 / k) ** past));
  const margin = 12 * Math.sqrt(lambda) + 30;
  if (lambda - w.limit > margin) return { admitted: w.limit, spent: 1, asked: asking(lambda - w.limit) };
  if (lambda + margin < w.limit) return { admitted: lambda, spent: 0, asked: 0 };
  return {
    admitted: poissonMean(lambda, (n) => Math.min(w.limit, n)),
    spent: poissonMean(lambda, (n) => (n > w.limit ? 1 : 0)),
    asked: poissonMean(lambda, (n) => asking(n - w.limit)),
  };
}

/** A window's expected REST calls of one installation: in its first `skewSeconds`, and in the rest. */
export interface WindowCalls {
  skew: number;
  rest: number;
}

/** What one installation's REST calls cost its budget object (expected counts). */
export interface BudgetCalls {
  restCalls: number;
  /** Calls GitHub took (a permit each). */
  admitted: number;
  /** Refusals the object answered. */
  objectRefusals: number;
  /** Refusals the isolate answered itself (a spent window or the skew it remembered). */
  isolateRefusals: number;
  /** The object's calls: a take and `reportsPerCall` reports per admitted call, a take per refusal it answered. */
  objectCalls: number;
}

/**
 * The budget object's calls for one installation over consecutive windows of GitHub's (each window's calls
 * Poisson), callers that do not wait (maxWait under the skew), from the code path: a call with calls left in the
 * window takes a permit (and reports); once the window is spent, the first call of each isolate is refused by the
 * object until the reset plus the skew, and the isolate refuses the others itself; a window's first `skewSeconds`
 * are refused the same way when the budget learned the window before (one of its calls was admitted), except in
 * the isolates that remember the previous window spent. The first window is one the budget knows nothing of.
 */
export function budgetCalls(windows: readonly WindowCalls[], w: RestWindow, reportsPerCall = 1): BudgetCalls {
  const k = w.isolates;
  const skewAsks = (lambda: number) => k * (1 - Math.exp(-lambda / k));
  let known = 0; // P(the previous window had an admitted call: its reset is known, its skew refused)
  let spent = 0; // P(the previous window was spent)
  let holding = 0; // the share of isolates that remember it spent, given that it was
  let restCalls = 0;
  let admitted = 0;
  let objectRefusals = 0;
  for (const { skew, rest } of windows) {
    restCalls += skew + rest;
    const after = windowPart(rest, w); // the skew refused: only the rest is usable
    const whole = windowPart(skew + rest, w);
    admitted += known * after.admitted + (1 - known) * whole.admitted;
    objectRefusals +=
      (known - spent) * skewAsks(skew) +
      spent * (1 - holding) * skewAsks(skew) +
      known * after.asked +
      (1 - known) * whole.asked;
    const nextSpent = known * after.spent + (1 - known) * whole.spent;
    const asked = known * after.asked + (1 - known) * whole.asked;
    holding = nextSpent > 0 ? Math.min(1, asked / (k * nextSpent)) : 0;
    known = known * (1 - Math.exp(-rest)) + (1 - known) * (1 - Math.exp(-(skew + rest)));
    spent = nextSpent;
  }
  return {
    restCalls,
    admitted,
    objectRefusals,
    isolateRefusals: restCalls - admitted - objectRefusals,
    objectCalls: admitted * (1 + reportsPerCall) + objectRefusals,
  };
}

/**
 * The windows GitHub's clock cuts `[start, end)` (seconds) into (multiples of `windowSeconds`), each with its
 * expected calls in its skew and in the rest: `calls(from, to)` gives them for a span.
 */
export function windowCalls(
  start: number,
  end: number,
  w: RestWindow,
  calls: (from: number, to: number) => number,
): WindowCalls[] {
  const span = (from: number, to: number) => {
    const a = Math.max(start, from);
    const b = Math.min(end, to);
    return b > a ? calls(a, b) : 0;
  };
  const out: WindowCalls[] = [];
  for (let at = Math.floor(start / w.windowSeconds) * w.windowSeconds; at < end; at += w.windowSeconds)
    out.push({
      skew: span(at, at + w.skewSeconds),
      rest: span(at + w.skewSeconds, at + w.windowSeconds),
    });
  return out;
}

/** `budgetCalls` per second at a steady rate of REST calls (windows after the first twenty). */
export function steadyBudgetCalls(rate: number, w: RestWindow, reportsPerCall = 1): BudgetCalls {
  const window = { skew: rate * w.skewSeconds, rest: rate * (w.windowSeconds - w.skewSeconds) };
  const warm = budgetCalls(Array(20).fill(window), w, reportsPerCall);
  const all = budgetCalls(Array(60).fill(window), w, reportsPerCall);
  const seconds = 40 * w.windowSeconds;
  const per = (key: keyof BudgetCalls) => (all[key] - warm[key]) / seconds;
  return {
    restCalls: per("restCalls"),
    admitted: per("admitted"),
    objectRefusals: per("objectRefusals"),
    isolateRefusals: per("isolateRefusals"),
    objectCalls: per("objectCalls"),
  };
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
  if (c.spread === "budget") return budgetLoad(c, traffic);
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

/**
 * The budget's load at a steady rate: each installation's REST calls (its share of them) through GitHub's window
 * (`steadyBudgetCalls`); the busiest object is the busiest installation's (no spread is modelled: `busiestSd` 0).
 */
function budgetLoad(c: ObjectClass, traffic: Traffic): ClassLoad {
  const w = traffic.restWindow ?? GITHUB_WINDOW;
  const fresh = traffic.fresh;
  const restPerSecond = (fresh.syncPure + fresh.syncEffect + fresh.queue) * traffic.restCallsPerDelivery;
  const shares = traffic.installationShares;
  const perObject = shares.map(
    (share) => steadyBudgetCalls(restPerSecond * share, w, c.reportsPerCall).objectCalls,
  );
  const callsPerSecond = perObject.reduce((a, b) => a + b, 0);
  const busiest = Math.max(0, ...perObject);
  return {
    callsPerSecond,
    objects: shares.length,
    meanPerObject: callsPerSecond / shares.length,
    busiestPerObject: busiest,
    busiestSd: 0,
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
  return {
    fresh,
    redeliveries: 0,
    installationShares: zipf(1_000, 1),
    restCallsPerDelivery,
    restWindow: GITHUB_WINDOW,
  };
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
  // Without the isolate's memory every REST call would take from its object: the busiest installation's calls,
  // plus a report per admitted one.
  const rest = 10_000 * 2;
  const top = zipf(1_000, 1)[0]!;
  const asks = steadyBudgetCalls(rest * top, GITHUB_WINDOW);
  console.log(
    `\nBudget of the busiest installation at 2 REST calls per webhook: ${asks.objectCalls.toFixed(2)} object calls/s with the isolates' memory of refusals (${GITHUB_WINDOW.isolates} isolates assumed), ${Math.round(rest * top + asks.admitted).toLocaleString("en")}/s if every call asked (${(((rest * top + asks.admitted) / LIMITS.objectRequestsPerSecond.value) * 100).toFixed(0)}% of 1,000/s); GitHub takes ${asks.admitted.toFixed(2)} of its ${Math.round(rest * top).toLocaleString("en")} REST calls/s.`,
  );
  const shares = zipf(1_000, 1);
  console.log(
    `\nZipf s = 1 over 1,000 installations: the busiest sends ${(shares[0]! * 100).toFixed(1)}% (${Math.round(shares[0]! * 10_000)} webhooks/s), the 10 busiest ${(shares.slice(0, 10).reduce((a, b) => a + b, 0) * 100).toFixed(1)}%, the median one ${(shares[499]! * 10_000).toFixed(2)} webhooks/s.`,
  );
  console.log(
    `Run index shard of the webhook flow with record: all: ${indexShardRate(10_000)} lines/s each.`,
  );
}
