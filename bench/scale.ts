import { spawn } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runtimeSharding } from "../capabilities/durable-objects/shards.ts";
import type { ScaleLoadResult, ScaleLoadSpec } from "./scale-load.ts";
import type { RestWindow } from "./scale-model.ts";
import { type Broker, type GitHubCounts, report, type ScaleRun } from "./scale-report.ts";
import { bundleWorkers, cpuMs, durableObjectDir, pinnedCommand, ROOT, serveWithWorkerd } from "./workerd.ts";
import { SCALE_GITHUB } from "./workers/scale-github.ts";

/**
 * `npm run bench -- scale`: the scale simulation of impl-docs/scale.md. The bench worker `bench/workers/scale.ts`
 * (the runtime's webhook flow, ledger and journals, on `workerd serve` with SQLite on a tmpfs) takes signed
 * deliveries from `bench/scale-load.ts` in a separate pinned process: hundreds of installations drawn by a Zipf law,
 * some on `ack: sync`, some on `ack: queue`, at a base rate with bursts, and redeliveries. The routed flow makes one
 * GitHub REST call per delivery, as the App's installation, through the shared budget (one object per
 * installation) to a stand-in GitHub in the worker that allows each installation a few calls per window. Every
 * object counts the calls it gets; at the end the bench reads the counts and each installation's tally, and prints, per class of
 * object, the load model's prediction (`scale-model.ts`, from the deliveries actually accepted) beside what was
 * measured, with a verdict against the stated tolerance, the model's figure at 10,000 webhooks/s, and whether any
 * accepted delivery was lost or applied twice. Bounded: the load lasts `BENCH_SCALE_SECONDS` (default 40) and the
 * whole run stops within about a minute and a half.
 */

const SECRET = "flows-scale-secret";
const INSTALLATIONS = Number(process.env.BENCH_SCALE_INSTALLATIONS ?? 300);
const FIRST_INSTALLATION = 40_000_001;
const ZIPF = 1;
const BASE_RATE = Number(process.env.BENCH_SCALE_RATE ?? 100);
const SECONDS = Number(process.env.BENCH_SCALE_SECONDS ?? 40);
/** The routed flow: one REST call per delivery (its own node), and two journaled nodes (that call and the tally). */
const ROUTED = { journaledNodes: 2, restCallsPerNode: 1 };
const REST_CALLS_PER_DELIVERY = 1;
/** The stand-in's window as the budget meets it: no reserve (`budgetReserve: 0`), the 1 s skew, one isolate. */
const REST_WINDOW: RestWindow = {
  limit: SCALE_GITHUB.limit,
  windowSeconds: SCALE_GITHUB.windowSeconds,
  skewSeconds: 1,
  isolates: 1,
};

/** Base rate for 8 s, then a burst of 3× for 2 s, repeated over the load. */
function phases(seconds: number, rate: number): ScaleLoadSpec["phases"] {
  const out: ScaleLoadSpec["phases"] = [];
  for (let t = 0; t < seconds; t += 10) {
    out.push({ name: "base", seconds: Math.min(8, seconds - t), rate });
    if (t + 8 < seconds) out.push({ name: "burst", seconds: Math.min(2, seconds - t - 8), rate: rate * 3 });
  }
  return out;
}

async function runLoad(spec: ScaleLoadSpec): Promise<ScaleLoadResult> {
  const [command, args] = pinnedCommand("1", process.execPath, [
    join(import.meta.dirname, "scale-load.ts"),
    JSON.stringify(spec),
  ]);
  const proc = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  proc.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    if (stderr.length < 8_000) stderr += chunk;
  });
  const bound = spec.phases.reduce((s, p) => s + p.seconds, 0) * 1000 + 40_000;
  const code = await new Promise<number | string>((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill("SIGKILL");
      reject(new Error(`the load process did not finish within ${bound} ms`));
    }, bound);
    proc.once("exit", (exitCode, signal) => {
      clearTimeout(timer);
      resolve(exitCode ?? signal ?? "unknown");
    });
  });
  if (code !== 0) throw new Error(`the load process exited (${code}): ${stderr.trim()}`);
  return JSON.parse(readFileSync(spec.out, "utf8")) as ScaleLoadResult;
}

export async function benchScale(): Promise<{ ok: boolean }> {
  const sharding = runtimeSharding(process.env);
  const shards = sharding.count;
  const dir = durableObjectDir("scale");
  const outdir = join(ROOT, ".tmp", "bench", "scale");
  mkdirSync(outdir, { recursive: true });
  const { scale: bundle } = await bundleWorkers(["scale"], outdir);
  // The App's key, made for this run (the stand-in does not check the JWTs it signs).
  const { privateKey } = generateKeyPairSync("rsa", {
    modulusLength: 2048,
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
    publicKeyEncoding: { type: "spki", format: "pem" },
  });
  const server = await serveWithWorkerd({
    bundle: bundle!,
    dir,
    text: {
      GITHUB_WEBHOOK_SECRET: SECRET,
      GITHUB_APP_ID: SCALE_GITHUB.appId,
      GITHUB_PRIVATE_KEY: privateKey,
      ...(process.env.FLOWS_RUNTIME_SHARDS ? { FLOWS_RUNTIME_SHARDS: process.env.FLOWS_RUNTIME_SHARDS } : {}),
    },
    durableObjects: {
      FLOWS_RUNTIME: "CountingRuntime",
      FLOW_STATE: "CountingState",
      GITHUB_BUDGET: "CountingBudget",
    },
    cpus: "0",
  });
  try {
    const out = join(outdir, `load-${process.pid}.json`);
    const spec: ScaleLoadSpec = {
      origin: server.url.replace(/\/$/, ""),
      secret: SECRET,
      installations: INSTALLATIONS,
      zipf: ZIPF,
      firstInstallation: FIRST_INSTALLATION,
      phases: phases(SECONDS, BASE_RATE),
      redeliverShare: 0.02,
      maxInFlight: 64,
      seed: 19,
      out,
    };
    console.log(
      `## Scale simulation (workerd serve, ${shards} FlowsRuntime shards${sharding.legacy ? " (legacy names)" : ""}, ${INSTALLATIONS} installations, Zipf s = ${ZIPF})\n`,
    );
    console.log(
      `Load: ${SECONDS} s from a separate process, ${BASE_RATE} deliveries/s with bursts of ${BASE_RATE * 3}/s for 2 s in every 10 s; odd-ranked installations on ack: sync, even on ack: queue; 2% redeliveries. The routed flow makes ${REST_CALLS_PER_DELIVERY} GitHub REST call per delivery (maxWait 0) to a stand-in allowing ${SCALE_GITHUB.limit} per installation per ${SCALE_GITHUB.windowSeconds} s.\n`,
    );
    const cpuBefore = cpuMs(server.pid);
    const load = await runLoad(spec);
    // Let the queue consumers finish (every message acked or dead-lettered), at most 30 s.
    let broker: Broker = { sent: 0, delivered: 0, acked: 0, retried: 0, deadLettered: 0, inFlight: 0 };
    for (let waited = 0; waited < 30_000; waited += 250) {
      broker = (await (await fetch(`${server.url}_scale/queue`)).json()) as Broker;
      if (broker.inFlight === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const names = [
      ...Array.from({ length: shards }, (_, i) => `ledger:${i}`),
      ...Array.from({ length: shards }, (_, i) => `journal:${i}`),
      ...Array.from({ length: INSTALLATIONS }, (_, k) => `tally:${FIRST_INSTALLATION + k}`),
      ...Array.from(
        { length: INSTALLATIONS },
        (_, k) => `app:${SCALE_GITHUB.appId}:${FIRST_INSTALLATION + k}`,
      ),
    ];
    const stats = (await (
      await fetch(`${server.url}_scale/stats`, { method: "POST", body: JSON.stringify(names) })
    ).json()) as ScaleRun["stats"];
    const github = (await (await fetch(`${server.url}_scale/github`)).json()) as GitHubCounts;
    const cpu = cpuMs(server.pid) - cpuBefore;
    rmSync(out, { force: true });
    const { ok, summary } = report({
      load,
      broker,
      github,
      restWindow: REST_WINDOW,
      routed: ROUTED,
      restCallsPerDelivery: REST_CALLS_PER_DELIVERY,
      appId: SCALE_GITHUB.appId,
      firstInstallation: FIRST_INSTALLATION,
      stats,
      shards,
      legacy: sharding.legacy === true,
      installations: INSTALLATIONS,
      zipf: ZIPF,
      cpuMs: cpu,
    });
    const results = join(import.meta.dirname, "results");
    mkdirSync(results, { recursive: true });
    writeFileSync(join(results, "scale.json"), `${JSON.stringify(summary, null, 2)}\n`);
    return { ok };
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  const { ok } = await benchScale();
  process.exitCode = ok ? 0 : 1;
}
