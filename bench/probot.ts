import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { sign } from "@octokit/webhooks-methods";
import {
  figuresOf,
  interleaved,
  type LoadFigures,
  load,
  type NodeServer,
  printFigures,
  startNodeServer,
} from "./peers/load.ts";
import { fixed, type Spread } from "./stats.ts";
import {
  bundleWorkers,
  durableObjectDir,
  pin,
  ROOT,
  rssMiB,
  serveWithWorkerd,
  type WorkerdServer,
} from "./workerd.ts";

/**
 * The same signed GitHub webhook handled by Probot on Node and by the flows webhook flow on workerd.
 *
 * - flows: `bench/workers/flows-github.ts` (the built-in webhook flow routing `issues.opened` to a one-node user
 *   flow), bundled with esbuild and served by `workerd serve` from a generated config (no Miniflare;
 *   its Durable Objects' SQLite on a tmpfs, `durableObjectDir`); measured twice:
 *   with the FlowsRuntime Durable Object ledger (delivery de-duplication, what a deployment does) and with the
 *   in-memory ledger stand-in (no storage: closer to Probot, which does not de-duplicate deliveries).
 * - Probot: `bench/peers/probot-server.ts`, a minimal Probot app (`app.on("issues.opened")` picking the same label,
 *   no GitHub API call) behind Probot's `createNodeMiddleware` in a `node:http` server, in a child process.
 *
 * Same secret, same payload, a fresh delivery id per request, 8 in flight from this process over 127.0.0.1, every
 * answer checked (flows: 200 and the routed flow in the body; Probot: `200 ok`, and the app's handler count must
 * grow by exactly the number of requests). Targets are interleaved, 3+ runs after a warm-up; the servers are
 * pinned to CPU 1 and this process to CPU 0 when `taskset` works.
 */

export type ProbotTarget = "flows" | "flowsMemory" | "probot";

export interface ProbotBenchResult {
  date: string;
  requestsPerRun: number;
  concurrency: number;
  repetitions: number;
  pinned: boolean;
  loadAverage: number[];
  perSecond: Record<ProbotTarget, Spread>;
  latencyMs: Record<ProbotTarget, Spread>;
  cpuMsPerRequest: Record<ProbotTarget, Spread>;
  /** Median webhooks/s, flows ÷ Probot. */
  ratios: { flowsVsProbot: number; flowsMemoryVsProbot: number };
  /** Resident memory of the server processes, MiB: after start (before any request) and after all runs. */
  rssMiB: { probot: { before: number; after: number }; workerd: { before: number; after: number } };
}

const SECRET = "bench-webhook-secret";
const PATH = "api/github/webhooks";
const REQUESTS = 2_000;
const CONCURRENCY = 8;
const REPS = 3;
const RUN_BOUND_MS = 60_000;
const TARGETS: readonly ProbotTarget[] = ["flows", "flowsMemory", "probot"];
const LABELS: Record<ProbotTarget, string> = {
  flows: "flows, DO ledger",
  flowsMemory: "flows, in-memory ledger",
  probot: "Probot 14 on Node",
};

/** The `issues.opened` delivery of `bench/github.ts`. */
const PAYLOAD = {
  action: "opened",
  issue: { number: 1347, title: "Found a bug", user: { login: "octocat" }, body: "I'm having a problem." },
  repository: { id: 1296269, full_name: "octocat/Hello-World" },
  sender: { login: "octocat" },
  installation: { id: 1 },
};

function deliver(base: string, body: string, signature: string, memory = false): Promise<Response> {
  return fetch(`${base}${PATH}`, {
    method: "POST",
    headers: {
      ...(memory ? { "x-bench-ledger": "memory" } : {}),
      "content-type": "application/json",
      "x-github-event": "issues",
      "x-github-delivery": crypto.randomUUID(),
      "x-hub-signature-256": signature,
    },
    body,
    signal: AbortSignal.timeout(10_000),
  });
}

async function handled(probot: NodeServer): Promise<{ handled: number; bugs: number }> {
  const response = await fetch(`${probot.url}handled`, { signal: AbortSignal.timeout(10_000) });
  return (await response.json()) as { handled: number; bugs: number };
}

/**
 * Runs the Probot comparison, prints a table, writes bench/results/probot.json. About a minute.
 * @example await benchProbot() // npm run bench, or node bench/probot.ts
 */
export async function benchProbot(print: (line: string) => void = console.log): Promise<ProbotBenchResult> {
  const outdir = join(ROOT, ".tmp", "bench", `probot-${process.pid}-${Date.now()}`);
  mkdirSync(outdir, { recursive: true });
  const objects = durableObjectDir("probot");
  let served: WorkerdServer | undefined;
  let probot: NodeServer | undefined;
  let pinned = false;
  try {
    const scripts = await bundleWorkers(["flows-github"], outdir);
    const flows = await serveWithWorkerd({
      bundle: scripts["flows-github"]!,
      dir: objects,
      text: { GITHUB_WEBHOOK_SECRET: SECRET },
      durableObjects: { FLOWS_RUNTIME: "FlowsRuntime" },
      cpus: "1",
    });
    served = flows;
    probot = await startNodeServer(join(import.meta.dirname, "peers", "probot-server.ts"), {
      BENCH_WEBHOOK_SECRET: SECRET,
    });
    pinned = pin(flows.pid, "1") && pin(probot.pid, "1") && pin(process.pid, "0");
    const rssBefore = { probot: rssMiB(probot.pid), workerd: rssMiB(flows.pid) };

    const body = JSON.stringify(PAYLOAD);
    const signature = await sign(SECRET, body);
    // Both verify the signature: a wrong one is refused by each.
    const bad = `sha256=${"0".repeat(64)}`;
    for (const [name, base] of [
      ["flows", flows.url],
      ["Probot", probot.url],
    ] as const) {
      const refused = await deliver(base, body, bad);
      await refused.arrayBuffer();
      if (refused.status < 400) throw new Error(`${name} accepted a bad signature (${refused.status})`);
    }

    const server = probot;
    const run = async (target: ProbotTarget, requests: number): Promise<LoadFigures> => {
      if (target === "probot") {
        const before = await handled(server);
        const figures = await load({
          requests,
          concurrency: CONCURRENCY,
          boundMs: RUN_BOUND_MS,
          pid: server.pid,
          send: () => deliver(server.url, body, signature),
          check: (r, text) => (r.status === 200 && text === "ok\n" ? undefined : `${r.status} ${text}`),
        });
        const after = await handled(server);
        if (after.handled - before.handled !== requests || after.bugs - before.bugs !== requests)
          throw new Error(`Probot handled ${after.handled - before.handled} of ${requests} deliveries`);
        return figures;
      }
      return load({
        requests,
        concurrency: CONCURRENCY,
        boundMs: RUN_BOUND_MS,
        pid: flows.pid,
        send: () => deliver(flows.url, body, signature, target === "flowsMemory"),
        check: (r, text) =>
          r.status === 200 && text.includes('"label-issue"') ? undefined : `${r.status} ${text}`,
      });
    };

    const loadAverage = loadavg();
    for (const t of TARGETS) await run(t, 300);
    const runs = await interleaved(TARGETS, REPS, (t) => run(t, REQUESTS));
    const rssAfter = { probot: rssMiB(probot.pid), workerd: rssMiB(flows.pid) };

    const figures = figuresOf(TARGETS, runs);
    const { perSecond, latencyMs, cpuMsPerRequest } = figures;
    const result: ProbotBenchResult = {
      date: new Date().toISOString(),
      requestsPerRun: REQUESTS,
      concurrency: CONCURRENCY,
      repetitions: REPS,
      pinned,
      loadAverage,
      perSecond,
      latencyMs,
      cpuMsPerRequest,
      ratios: {
        flowsVsProbot: perSecond.flows.median / perSecond.probot.median,
        flowsMemoryVsProbot: perSecond.flowsMemory.median / perSecond.probot.median,
      },
      rssMiB: {
        probot: { before: rssBefore.probot, after: rssAfter.probot },
        workerd: { before: rssBefore.workerd, after: rssAfter.workerd },
      },
    };

    print(
      `Probot vs the flows webhook flow: signed issues.opened, ${REQUESTS} per run, ${CONCURRENCY} in flight, ${REPS} runs interleaved (order rotated) after warm-up; median (min–max); ${pinned ? "servers on CPU 1, client on CPU 0" : "not pinned"}; load average ${loadAverage.map((x) => x.toFixed(2)).join(" ")}`,
    );
    printFigures(print, TARGETS, LABELS, figures, "webhook", { label: 34, column: 28 });
    print(
      `  flows ÷ Probot, webhooks/s: ${fixed(result.ratios.flowsVsProbot, 2)} (DO ledger), ${fixed(result.ratios.flowsMemoryVsProbot, 2)} (in-memory ledger)`,
    );
    print(
      `  RSS, MiB (after start → after the runs): Probot ${fixed(rssBefore.probot, 1)} → ${fixed(rssAfter.probot, 1)}; flows workerd ${fixed(rssBefore.workerd, 1)} → ${fixed(rssAfter.workerd, 1)}`,
    );
    const dir = join(import.meta.dirname, "results");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "probot.json"), `${JSON.stringify(result, null, 2)}\n`);
    return result;
  } finally {
    if (pinned) pin(process.pid, "0-1");
    await probot?.stop();
    await served?.stop();
    rmSync(outdir, { recursive: true, force: true });
    rmSync(objects, { recursive: true, force: true });
  }
}

if (import.meta.main) await benchProbot();
