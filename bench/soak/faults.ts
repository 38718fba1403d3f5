import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { Miniflare } from "miniflare";
import { fixed } from "../stats.ts";
import { bundleWorkers, ROOT, type ServedWorker, serveOnWorkerd } from "../workerd.ts";
import { SOAK_WORKERS } from "./flood.ts";
import type { SoakSection } from "./run.ts";

/**
 * Faults (impl-docs/security.md#faults), on workerd with `workers/fault-queue.ts`:
 * - MESSAGES (10,000, the figure; SOAK_MESSAGES=2000 for a quicker run) queue messages through the host's `queue()`
 *   handler while 10% of KV, R2, Queue and Durable Object calls (the FlowsRuntime ledger and journal included)
 *   fail or stall; redelivered until acked or dead-lettered. Properties: no message lost (each processed or
 *   dead-lettered, counted), no effect applied twice (every per-message counter exactly 1; a second forward only
 *   where the ledger lost that forward's completion), every processed message's KV and R2 writes present.
 * - RESUMES runs killed at a random moment (abort, worker thrown away) and redelivered to a fresh worker: each
 *   resumes from the journal, and each of its three effects is applied exactly once.
 */

/**
 * 10,000 by default (the figure): local Durable Objects manage about 50 messages a second here, and the
 * redelivery rounds wait out the ledger lease, so this section takes several minutes; `SOAK_MESSAGES=2000` is quicker.
 */
const MESSAGES = Number(process.env.SOAK_MESSAGES ?? 10_000);
const FAULT_RATE = 0.1;
const RESUMES = 200;
const SEED = 20_261_125;

interface FaultFigures {
  messages: number;
  seconds: number;
  rounds: number;
  deliveries: number;
  processed: number;
  deadLetteredByHost: number;
  deadLetteredAfterRetries: number;
  poison: number;
  stillPending: number;
  unanswered: number;
  lost: number;
  processedIds: number[];
  forwardedTwice: number;
  forwardedMessages: number;
  faults: Record<"calls" | "errorsBefore" | "errorsAfter" | "spikes", Record<string, number>>;
  failedRuns: Record<string, number>;
  completeFailed: Record<string, number>;
}

async function serveFaultWorker(outdir: string): Promise<ServedWorker> {
  const script = (await bundleWorkers(["fault-queue"], outdir, SOAK_WORKERS))["fault-queue"]!;
  return serveOnWorkerd(script, {
    kvNamespaces: ["FLOW_KV"],
    r2Buckets: ["FLOW_BUCKET"],
    durableObjects: {
      FLOWS_RUNTIME: { className: "FlowsRuntime", useSQLite: true },
      FLOW_STATE: { className: "FlowsState", useSQLite: true },
    },
  });
}

/** Messages per call to the worker (each call well inside undici's 300 s header timeout). */
const CHUNK = 2_000;
/** A bound on one call to the worker: generous, since local Durable Objects manage about 50 messages/s here. */
const CALL_BOUND_MS = 240_000;

async function call<T>(url: string, init: RequestInit = {}): Promise<T> {
  const response = await fetch(url, { ...init, signal: AbortSignal.timeout(CALL_BOUND_MS) });
  if (!response.ok) throw new Error(`${url} answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as T;
}

function withServer(run: (served: ServedWorker, print: (line: string) => void) => Promise<boolean>) {
  return async (print: (line: string) => void): Promise<boolean> => {
    const outdir = join(ROOT, ".tmp", "soak", `faults-${process.pid}-${Date.now()}`);
    mkdirSync(outdir, { recursive: true });
    let mf: Miniflare | undefined;
    try {
      const served = await serveFaultWorker(outdir);
      mf = served.mf;
      return await run(served, print);
    } finally {
      await mf?.dispose().catch(() => {});
      rmSync(outdir, { recursive: true, force: true });
    }
  };
}

/** Sums the figures of several chunks. */
function combine(parts: FaultFigures[]): FaultFigures {
  const add = (a: Record<string, number>, b: Record<string, number>) => {
    const out = { ...a };
    for (const [k, v] of Object.entries(b)) out[k] = (out[k] ?? 0) + v;
    return out;
  };
  return parts.reduce((a, b) => ({
    messages: a.messages + b.messages,
    seconds: a.seconds + b.seconds,
    rounds: Math.max(a.rounds, b.rounds),
    deliveries: a.deliveries + b.deliveries,
    processed: a.processed + b.processed,
    deadLetteredByHost: a.deadLetteredByHost + b.deadLetteredByHost,
    deadLetteredAfterRetries: a.deadLetteredAfterRetries + b.deadLetteredAfterRetries,
    poison: a.poison + b.poison,
    stillPending: a.stillPending + b.stillPending,
    unanswered: a.unanswered + b.unanswered,
    lost: a.lost + b.lost,
    processedIds: [...a.processedIds, ...b.processedIds],
    forwardedTwice: a.forwardedTwice + b.forwardedTwice,
    forwardedMessages: a.forwardedMessages + b.forwardedMessages,
    faults: {
      calls: add(a.faults.calls, b.faults.calls),
      errorsBefore: add(a.faults.errorsBefore, b.faults.errorsBefore),
      errorsAfter: add(a.faults.errorsAfter, b.faults.errorsAfter),
      spikes: add(a.faults.spikes, b.faults.spikes),
    },
    failedRuns: add(a.failedRuns, b.failedRuns),
    completeFailed: add(a.completeFailed, b.completeFailed),
  }));
}

async function faults(served: ServedWorker, print: (line: string) => void): Promise<boolean> {
  // Chunks of distinct messages, one after the other; their figures add up.
  const parts: FaultFigures[] = [];
  for (let from = 0; from < MESSAGES; from += CHUNK) {
    parts.push(
      await call<FaultFigures>(
        `${served.url}_soak/faults?from=${from}&count=${Math.min(CHUNK, MESSAGES - from)}&rate=${FAULT_RATE}&seed=${SEED}`,
        { method: "POST" },
      ),
    );
  }
  const r = combine(parts);
  const readBack = { checked: 0, counterNotOne: 0, missingKv: 0, missingR2: 0 };
  for (let i = 0; i < r.processedIds.length; i += CHUNK) {
    const part = await call<typeof readBack>(`${served.url}_soak/check`, {
      method: "POST",
      body: JSON.stringify(r.processedIds.slice(i, i + CHUNK)),
    });
    for (const k of Object.keys(readBack) as (keyof typeof readBack)[]) readBack[k] += part[k];
  }
  const sum = (x: Record<string, number>) => Object.values(x).reduce((a, b) => a + b, 0);
  const f = r.faults;
  print(
    `queue run: ${r.messages} messages (1 in 100 poison), ${fixed(FAULT_RATE * 100, 0)}% of binding calls faulted, batches of 100, 2 in flight, redelivered at once, dead-lettered after 9 deliveries, in chunks of ${CHUNK}, rounds ≥ 6.5 s apart (the host's backoff, shortened; the run deadline is 5 s, the ledger lease 6 s); ${fixed(r.seconds, 1)} s`,
  );
  for (const b of ["kv", "r2", "queue", "do"])
    print(
      `  ${b.padEnd(5)} calls ${String(f.calls[b]).padStart(6)}: errors before ${f.errorsBefore[b]}, answers lost ${f.errorsAfter[b]}, latency spikes ${f.spikes[b]}`,
    );
  print(
    `  faults injected: ${sum(f.errorsBefore) + sum(f.errorsAfter) + sum(f.spikes)} of ${sum(f.calls)} calls; ${r.deliveries} deliveries in ${r.rounds} rounds`,
  );
  print(
    `  outcome: processed ${r.processed}, dead-lettered by the host ${r.deadLetteredByHost} (poison: ${r.poison}), dead-lettered after retries ${r.deadLetteredAfterRetries}, lost ${r.lost}, left pending ${r.stillPending}, neither acked nor retried ${r.unanswered}`,
  );
  print(
    `  effects read back for ${readBack.checked} processed messages: counter ≠ 1 in ${readBack.counterNotOne}, KV missing ${readBack.missingKv}, R2 missing ${readBack.missingR2}; forwarded ${r.forwardedMessages} messages, ${r.forwardedTwice} ids twice`,
  );
  print(
    `  ledger completions lost after the effect (key held until its lease ends): ${JSON.stringify(r.completeFailed)}`,
  );
  const failed = Object.entries(r.failedRuns).sort((a, b) => b[1] - a[1]);
  for (const [what, n] of failed.slice(0, 6))
    print(`  failed runs (then retried or dead-lettered): ${n} × ${what}`);
  const checks = [
    {
      name: "no message lost (processed + dead-lettered = sent)",
      ok: r.lost === 0 && r.stillPending === 0 && r.unanswered === 0,
    },
    { name: "every poison message dead-lettered by the host", ok: r.deadLetteredByHost === r.poison },
    {
      name: "no counter applied twice (do.increment: ledger + operation key)",
      ok: readBack.counterNotOne === 0,
    },
    {
      name: "every processed message forwarded; a second send only after the ledger lost that send's completion",
      ok:
        r.forwardedMessages - r.forwardedTwice >= r.processed &&
        r.forwardedTwice <= (r.completeFailed.forward ?? 0),
    },
    { name: "every processed message's writes present", ok: readBack.missingKv + readBack.missingR2 === 0 },
    {
      name: "faults were injected on every binding",
      ok: ["kv", "r2", "queue", "do"].every((b) => (f.errorsBefore[b] ?? 0) > 0 && (f.spikes[b] ?? 0) > 0),
    },
  ];
  for (const c of checks) print(`  ${c.ok ? "ok  " : "FAIL"} ${c.name}`);
  return checks.every((c) => c.ok);
}

async function resumes(served: ServedWorker, print: (line: string) => void): Promise<boolean> {
  const r = await call<{
    runs: number;
    killed: number;
    finishedBeforeKill: number;
    resumedOk: number;
    replayedSteps: number;
    effectsNotOnce: number;
    lastFailure: string;
  }>(`${served.url}_soak/resume?count=${RESUMES}&seed=${SEED}`, { method: "POST" });
  print(
    `resume after a kill: ${r.runs} runs of three effects (do.increment with an operation key) and two 15 ms pauses, each aborted at a random moment in its first 60 ms, the worker thrown away, the message redelivered to a fresh worker`,
  );
  print(
    `  killed mid-run ${r.killed}, finished before the kill ${r.finishedBeforeKill}; redeliveries acked ${r.resumedOk}, steps replayed from the journal ${r.replayedSteps}, effects not applied exactly once ${r.effectsNotOnce} (of ${r.runs * 3})`,
  );
  if (r.lastFailure) print(`  last failed redelivery: ${r.lastFailure}`);
  const checks = [
    { name: "most runs were killed mid-flow", ok: r.killed >= r.runs / 2 },
    { name: "every redelivery finished", ok: r.resumedOk === r.runs },
    { name: "finished steps replayed, not repeated", ok: r.replayedSteps > 0 && r.effectsNotOnce === 0 },
  ];
  for (const c of checks) print(`  ${c.ok ? "ok  " : "FAIL"} ${c.name}`);
  return checks.every((c) => c.ok);
}

export const faultsSection: SoakSection = {
  name: `Faults: ${MESSAGES.toLocaleString("en-US")} queue messages, 10% faulty binding calls`,
  run: withServer(faults),
};
export const resumeSection: SoakSection = {
  name: "Faults: resume from the journal after a killed isolate",
  run: withServer(resumes),
};

if (import.meta.main) {
  const which = process.argv[2];
  const sections = [faultsSection, resumeSection].filter((s) => !which || s.name.includes(which));
  let ok = true;
  for (const s of sections) ok = (await s.run(console.log)) && ok;
  process.exitCode = ok ? 0 : 1;
}
