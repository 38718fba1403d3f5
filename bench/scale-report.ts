import { pathOfRank, type ScaleLoadResult } from "./scale-load.ts";
import {
  type BudgetCalls,
  budgetCalls,
  classLoad,
  type ObjectClass,
  objectClasses,
  type RestWindow,
  type RoutedFlows,
  type Traffic,
  target,
  windowCalls,
  zipf,
} from "./scale-model.ts";
import type { ObjectStats } from "./workers/scale-objects.ts";

/**
 * The figures of the scale simulation (`bench/scale.ts`) from what the load sent and what the objects counted:
 * the model's prediction beside the measure per class of object, the busiest second, and the exactly-once check.
 */

/**
 * The tolerances of the verdicts: calls per accepted webhook within 2% of the model (they are counted from the code
 * path, so only a retry or a refused delivery moves them), and the busiest object's calls within 3 standard
 * deviations of the model's expected busiest (the largest of the shards' counts, or the busiest installation's
 * binomial share), printed as a percentage of it. The budget's figures (calls per webhook, busiest object) within
 * 10%: they depend on when calls fall in GitHub's windows, which the model takes as Poisson within each (the
 * load's bursts are not), and on refusals asked while another was in flight, which it leaves out.
 */
export const TOLERANCE = { callsPerWebhook: 0.02, busiestSds: 3, budget: 0.1 };

export interface Broker {
  sent: number;
  delivered: number;
  acked: number;
  retried: number;
  deadLettered: number;
  inFlight: number;
}

/** The routed flow's GitHub REST calls, as the bench worker counted them (`GET /_scale/github`). */
export interface GitHubCounts {
  /** REST calls the routed flow made (one per run of it). */
  calls: number;
  /** Of those, refused by the budget (its object or the isolate's memory), so never sent. */
  refusedByBudget: number;
  /** Calls the stand-in received (installation-token requests aside), and tokens it issued. */
  sent: number;
  tokens: number;
  /** Calls the stand-in refused (over an installation's limit): must be 0. */
  refusedByGitHub: number;
}

/** What one simulation gathered. */
export interface ScaleRun {
  load: ScaleLoadResult;
  broker: Broker;
  github: GitHubCounts;
  /** The stand-in's window (its limit, with the budget's reserve 0) and the one isolate serving everything. */
  restWindow: RestWindow;
  routed: RoutedFlows;
  restCallsPerDelivery: number;
  appId: string;
  firstInstallation: number;
  /** Per object name: its counts, and a tally object's rows. */
  stats: Record<string, { stats: ObjectStats; tallies?: [string, number][] }>;
  shards: number;
  /** The names of 0.2 (`FLOWS_RUNTIME_SHARDS=legacy`). */
  legacy: boolean;
  installations: number;
  zipf: number;
  /** workerd's CPU over the load, ms. */
  cpuMs: number;
}

type Request = ScaleLoadResult["requests"][number];

/** The load's deliveries, classified. */
function deliveries(run: ScaleRun) {
  const requests = run.load.requests;
  const fresh = requests.filter((r) => !r[3]);
  const accepted = fresh.filter((r) => r[4] === "accepted");
  return {
    seconds: (run.load.endedAt - run.load.startedAt) / 1000,
    fresh,
    accepted,
    sync: accepted.filter((r) => r[2] === "sync").length,
    queued: accepted.filter((r) => r[2] === "queue").length,
    // Redeliveries that reached the ledger (one claim or record each).
    redeliveries: requests.filter((r) => r[3] && r[4] !== "error").length,
  };
}

const answers = (requests: readonly Request[], redelivery: boolean): string => {
  const counts: Record<string, number> = {};
  for (const r of requests) if (r[3] === redelivery) counts[r[4]] = (counts[r[4]] ?? 0) + 1;
  return Object.entries(counts)
    .map(([k, v]) => `${k} ${v}`)
    .join(", ");
};

const pct = (x: number) => `${x >= 0 ? "+" : ""}${(x * 100).toFixed(1)}%`;
const within = (measured: number, predicted: number, tolerance: number) =>
  predicted === 0 ? measured === 0 : Math.abs(measured / predicted - 1) <= tolerance;

/** The object names of a class in the stats. */
const namesOf = (run: ScaleRun, c: ObjectClass): string[] =>
  Object.keys(run.stats).filter((n) => n.startsWith(c.prefix));

const classesOf = (run: ScaleRun) => objectClasses(run.shards, run.legacy, run.routed);

/**
 * The budget's model from the deliveries accepted: each installation's REST calls spread over GitHub's windows as
 * the accepted deliveries were over time (the load's bursts included), through `budgetCalls`; by object name.
 */
function budgetModel(run: ScaleRun, c: ObjectClass): Map<string, BudgetCalls> {
  const d = deliveries(run);
  const times = d.accepted.map((r) => r[6] / 1_000).sort((a, b) => a - b);
  const before = (t: number) => {
    let lo = 0;
    let hi = times.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (times[mid]! < t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  // The share of the accepted deliveries sent in each part of each window.
  const start = run.load.startedAt / 1_000;
  const end = Math.max(run.load.endedAt / 1_000, (times.at(-1) ?? start) + 1e-3);
  const shares = windowCalls(start, end, run.restWindow, (a, b) => (before(b) - before(a)) / times.length);
  const perRank = new Array<number>(run.installations).fill(0);
  for (const r of d.accepted) perRank[r[1] - 1]!++;
  const out = new Map<string, BudgetCalls>();
  perRank.forEach((accepted, k) => {
    const calls = accepted * run.restCallsPerDelivery;
    const windows = shares.map((w) => ({ skew: w.skew * calls, rest: w.rest * calls }));
    out.set(
      `app:${run.appId}:${run.firstInstallation + k}`,
      budgetCalls(windows, run.restWindow, c.reportsPerCall),
    );
  });
  return out;
}

const sumOf = (calls: Iterable<BudgetCalls>, key: keyof BudgetCalls) => {
  let total = 0;
  for (const c of calls) total += c[key];
  return total;
};

/** A class's calls in all, the objects that got any, the busiest one and its busiest second. */
function measure(run: ScaleRun, names: readonly string[]) {
  let calls = 0;
  let objects = 0;
  let busiest = 0;
  let busiestName = "";
  let peakSecond = 0;
  for (const name of names) {
    const s = run.stats[name]?.stats;
    if (!s || s.calls === 0) continue;
    objects++;
    calls += s.calls;
    if (s.calls > busiest) {
      busiest = s.calls;
      busiestName = name;
      peakSecond = Math.max(...s.seconds.map(([, n]) => n));
    }
  }
  return { calls, objects, busiest, busiestName, peakSecond };
}

/** The table: per class, model / measured, the model at 10,000 webhooks/s, and the verdict. */
function objectTable(run: ScaleRun): boolean {
  const d = deliveries(run);
  const traffic: Traffic = {
    fresh: { syncPure: 0, syncEffect: d.sync / d.seconds, queue: d.queued / d.seconds },
    redeliveries: d.redeliveries / d.seconds,
    // The Zipf law the load draws from (rank 1 is the busiest installation).
    installationShares: zipf(run.installations, run.zipf),
    restCallsPerDelivery: run.restCallsPerDelivery,
  };
  // The issue's target with the same mix of sync and queued deliveries (and GitHub's own window).
  const queuedShare = d.queued / Math.max(1, d.accepted.length);
  const big = target("syncEffect", run.restCallsPerDelivery);
  big.fresh = { syncPure: 0, syncEffect: 10_000 * (1 - queuedShare), queue: 10_000 * queuedShare };
  let ok = true;
  const rows: string[] = [];
  const n = d.accepted.length;
  for (const c of classesOf(run)) {
    const m = measure(run, namesOf(run, c));
    let perWebhook: { model: number; measured: number };
    let mean: { model: number; measured: number };
    let busiest: { model: number; measured: number };
    let objects: number;
    let callsTolerance = TOLERANCE.callsPerWebhook;
    let tolerance: number;
    if (c.spread === "budget") {
      const model = budgetModel(run, c);
      objects = model.size;
      const total = sumOf(model.values(), "objectCalls");
      perWebhook = { model: total / n, measured: m.calls / n };
      mean = { model: total / d.seconds / objects, measured: m.calls / d.seconds / objects };
      const top = Math.max(0, ...[...model.values()].map((b) => b.objectCalls));
      busiest = { model: top / d.seconds, measured: m.busiest / d.seconds };
      callsTolerance = TOLERANCE.budget;
      tolerance = TOLERANCE.budget;
    } else {
      const model = classLoad(c, traffic, d.seconds);
      objects = model.objects;
      perWebhook = { model: (model.callsPerSecond * d.seconds) / n, measured: m.calls / n };
      mean = { model: model.meanPerObject, measured: m.calls / d.seconds / model.objects };
      busiest = { model: model.busiestPerObject, measured: m.busiest / d.seconds };
      tolerance = (TOLERANCE.busiestSds * model.busiestSd) / model.busiestPerObject;
    }
    const pass =
      within(perWebhook.measured, perWebhook.model, callsTolerance) &&
      within(busiest.measured, busiest.model, tolerance);
    ok &&= pass;
    const at = classLoad(c, big);
    rows.push(
      [
        "",
        c.name,
        `\`${c.key}\``,
        `${m.objects} of ${objects}`,
        `${perWebhook.model.toFixed(3)} / ${perWebhook.measured.toFixed(3)} (${pct(perWebhook.measured / perWebhook.model - 1)}${c.spread === "budget" ? `, tolerance ±${TOLERANCE.budget * 100}%` : ""})`,
        `${mean.model.toFixed(3)} / ${mean.measured.toFixed(3)}`,
        `${busiest.model.toFixed(2)} / ${busiest.measured.toFixed(2)} (${pct(busiest.measured / busiest.model - 1)}, tolerance ±${(tolerance * 100).toFixed(0)}%; \`${m.busiestName}\`, busiest second ${m.peakSecond})`,
        `${at.meanPerObject.toFixed(1)} mean, ${at.busiestPerObject.toFixed(1)} busiest (${(at.ofLimit * 100).toFixed(1)}% of 1,000/s)`,
        pass ? "within" : "OUTSIDE",
        "",
      ]
        .join(" | ")
        .trim(),
    );
  }
  console.log(
    `\nPredicted / measured, from the ${d.accepted.length} accepted deliveries (${d.sync} sync, ${d.queued} queued) and ${d.redeliveries} redeliveries over ${d.seconds.toFixed(1)} s. Verdict: calls per webhook within ±${TOLERANCE.callsPerWebhook * 100}% of the model, and the busiest object within ±${TOLERANCE.busiestSds} standard deviations of the model's expected busiest (hashed shards: the largest of ${run.shards} counts; per installation: the busiest installation's Zipf share); the budget's both within ±${TOLERANCE.budget * 100}% of its window model (each installation's accepted deliveries as they fell in the stand-in's windows).\n`,
  );
  console.log(
    "| object | key | objects used | calls per accepted webhook, model / measured | mean calls/s per object, model / measured | busiest object's calls/s, model / measured | model at 10,000 webhooks/s over 1,000 installations, calls/s per object (same mix; busiest: in one second) | verdict |",
  );
  console.log("| --- | --- | --- | --- | --- | --- | --- | --- |");
  for (const row of rows) console.log(row);
  return ok;
}

/**
 * The routed flow's REST calls: how many GitHub (the stand-in) took and how many the budget refused, in its object
 * or in the isolate, model / measured; the stand-in must have refused none.
 */
function restCalls(run: ScaleRun): boolean {
  const c = classesOf(run).find((k) => k.spread === "budget");
  if (!c) return true;
  const model = [...budgetModel(run, c).values()];
  const methods: Record<string, number> = {};
  for (const name of namesOf(run, c))
    for (const [method, k] of Object.entries(run.stats[name]!.stats.methods))
      methods[method] = (methods[method] ?? 0) + k;
  const g = run.github;
  const objectRefusals = methods.refusal ?? 0;
  const w = run.restWindow;
  const pair = (key: keyof BudgetCalls, measured: number) => `${Math.round(sumOf(model, key))} / ${measured}`;
  console.log(
    `\nGitHub REST calls (the stand-in allows each installation ${w.limit} per ${w.windowSeconds} s window; the flow's callers do not wait), model / measured: ${pair("restCalls", g.calls)} made; taken by GitHub ${pair("admitted", g.sent)} (permits ${methods.permit ?? 0}, reports ${methods.report ?? 0}); refused by the budget's object ${pair("objectRefusals", objectRefusals)}, by the isolate's memory without a round trip ${pair("isolateRefusals", g.refusedByBudget - objectRefusals)}; refused by the stand-in: ${g.refusedByGitHub}; ${g.tokens} installation tokens.`,
  );
  return g.refusedByGitHub === 0 && g.sent === (methods.permit ?? 0);
}

/**
 * Bursts: the busiest second of each class (all its objects' calls in that second, per object) beside the model for
 * the busiest second of the load (the deliveries sent in it). Calls lag their delivery by its latency (a queued one
 * by its consumer's run too), so this is printed, not judged.
 */
function peaks(run: ScaleRun): void {
  const sentPerSecond = new Map<number, { sync: number; queue: number; again: number }>();
  for (const r of run.load.requests) {
    if (r[4] === "error") continue;
    const second = Math.floor(r[6] / 1000);
    const entry = sentPerSecond.get(second) ?? { sync: 0, queue: 0, again: 0 };
    if (r[3]) entry.again++;
    else if (r[4] === "accepted") entry[r[2]]++;
    sentPerSecond.set(second, entry);
  }
  const out: string[] = [];
  for (const c of classesOf(run).filter((c) => c.spread !== "budget")) {
    const perSecond = new Map<number, number>();
    for (const name of namesOf(run, c))
      for (const [s, n] of run.stats[name]!.stats.seconds) perSecond.set(s, (perSecond.get(s) ?? 0) + n);
    const objects = c.spread === "hash" ? run.shards : run.installations;
    const measured = Math.max(0, ...perSecond.values()) / objects;
    const calls = [...sentPerSecond.values()].map(
      (e) => e.sync * c.calls.syncEffect + e.queue * c.calls.queue + e.again * c.calls.redelivery,
    );
    out.push(
      `${c.name.split(" ")[0]} ${(Math.max(0, ...calls) / objects).toFixed(2)} / ${measured.toFixed(2)}`,
    );
  }
  const most = Math.max(...[...sentPerSecond.values()].map((e) => e.sync + e.queue + e.again));
  console.log(
    `\nThe busiest second (bursts), mean calls per object, model / measured: ${out.join("; ")} (at most ${most} deliveries sent in one second).`,
  );
}

/** Every accepted delivery counted exactly once in its installation's tally, and nothing else counted. */
function exactlyOnce(run: ScaleRun): { ok: boolean; lost: number; twice: number } {
  const d = deliveries(run);
  const tallies = new Map<string, number>();
  for (const [name, entry] of Object.entries(run.stats))
    if (name.startsWith("tally:")) for (const [key, n] of entry.tallies ?? []) tallies.set(key, n);
  let lost = 0;
  let twice = 0;
  for (const r of d.accepted) {
    const n = tallies.get(r[0]) ?? 0;
    if (n === 0) lost++;
    else if (n > 1) twice++;
  }
  const sent = new Set(d.fresh.map((r) => r[0]));
  const unknown = [...tallies.keys()].filter((id) => !sent.has(id)).length;
  const refused = d.fresh.filter((r) => r[4] !== "accepted");
  const refusedApplied = refused.filter((r) => (tallies.get(r[0]) ?? 0) > 0).length;
  const rerun = run.load.requests.filter((r) => r[3] && r[4] === "accepted").length;
  const wrongPath = d.accepted.filter((r) => r[2] !== pathOfRank(r[1])).length;
  const error = run.load.firstError;
  console.log(
    `\nDeliveries: ${d.accepted.length} accepted, ${lost} lost, ${twice} applied twice, ${unknown} applied that were never sent, ${rerun} redeliveries run again; ${refused.length} fresh deliveries not accepted (${refusedApplied} of them applied)${error ? `; first unexpected answer: ${error}` : ""}.`,
  );
  const ok =
    lost === 0 &&
    twice === 0 &&
    unknown === 0 &&
    rerun === 0 &&
    wrongPath === 0 &&
    run.broker.inFlight === 0 &&
    run.broker.deadLettered === 0 &&
    error === undefined;
  return { ok, lost, twice };
}

/** Prints the simulation's figures; whether the load was within tolerance of the model and nothing was lost. */
export function report(run: ScaleRun): { ok: boolean; summary: Record<string, unknown> } {
  const d = deliveries(run);
  const { load, broker } = run;
  const shed = load.phases.reduce((s, p) => s + p.shed, 0);
  console.log(
    `Sent ${load.requests.length} deliveries in ${d.seconds.toFixed(1)} s (${(load.requests.length / d.seconds).toFixed(0)}/s; ${shed} due but not sent while 64 were in flight): fresh: ${answers(load.requests, false)}; redeliveries: ${answers(load.requests, true)}. Queue: ${broker.sent} sent, ${broker.acked} acked, ${broker.retried} retried, ${broker.deadLettered} dead-lettered, ${broker.inFlight} in flight.`,
  );
  const burst = load.phases.find((p) => p.name === "burst");
  if (burst)
    console.log(
      `A burst: ${burst.sent} sent in ${((burst.endedAt - burst.startedAt) / 1000).toFixed(1)} s (target ${burst.rate}/s).`,
    );
  const modelOk = objectTable(run);
  const githubOk = restCalls(run);
  peaks(run);
  const perRank = new Array<number>(run.installations).fill(0);
  for (const r of d.accepted) perRank[r[1] - 1]!++;
  console.log(
    `Busiest installation: ${((perRank[0]! / Math.max(1, d.accepted.length)) * 100).toFixed(1)}% of the accepted deliveries (Zipf: ${(zipf(run.installations, run.zipf)[0]! * 100).toFixed(1)}%).`,
  );
  console.log(
    `workerd CPU (the Worker, its Durable Objects and SQLite, one process): ${(run.cpuMs / Math.max(1, load.requests.length)).toFixed(2)} ms per delivery sent (${run.cpuMs.toFixed(0)} ms in all).`,
  );
  const once = exactlyOnce(run);
  const ok = modelOk && githubOk && once.ok;
  console.log(
    `${ok ? "PASS" : "FAIL"}: per-object load within tolerance of the model, 0 lost deliveries, 0 calls refused by the stand-in GitHub.`,
  );
  const summary = {
    shards: run.shards,
    seconds: d.seconds,
    accepted: d.accepted.length,
    sync: d.sync,
    queued: d.queued,
    redeliveries: d.redeliveries,
    lost: once.lost,
    twice: once.twice,
    broker,
    github: run.github,
    cpuMs: run.cpuMs,
    ok,
  };
  return { ok, summary };
}
