import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
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
import { bundleWorkers, pin, ROOT, rssMiB, serveWithWorkerd, type WorkerdServer } from "./workerd.ts";

/**
 * A 1-node and a 5-node HTTP flow, flows on workerd against Node-RED on Node.
 *
 * - flows: `bench/workers/flows-chain.ts`, `POST /chain1` and `POST /chain5`: 1 or 5 `transform` nodes in a chain
 *   (each `{ n: input.n + 1 }`), the last one answered as JSON; bundled with esbuild, served by `workerd serve`
 *   from a generated config (no Miniflare).
 * - Node-RED: `bench/peers/node-red-server.ts`, Node-RED embedded in a child process (`RED.init`, editor off,
 *   userDir a temporary folder under .tmp/ that is deleted afterwards): `http in` → 1 or 5 `function` nodes doing
 *   the same → `http response`.
 *
 * Each request posts `{"n": i}` and must get back `{"n": i + 1}` or `{"n": i + 5}` (checked). 8 in flight from
 * this process over 127.0.0.1, a bounded count and time per run, the four targets interleaved, 3+ runs after a
 * warm-up; servers pinned to CPU 1 and this process to CPU 0 when `taskset` works.
 */

export type ChainTarget = "flows1" | "nodeRed1" | "flows5" | "nodeRed5";

export interface NodeRedBenchResult {
  date: string;
  requestsPerRun: number;
  concurrency: number;
  repetitions: number;
  pinned: boolean;
  loadAverage: number[];
  perSecond: Record<ChainTarget, Spread>;
  latencyMs: Record<ChainTarget, Spread>;
  cpuMsPerRequest: Record<ChainTarget, Spread>;
  /** flows ÷ Node-RED: median requests/s, and median latency (below 1: flows answers sooner). */
  ratios: {
    oneNode: { perSecond: number; latency: number };
    fiveNodes: { perSecond: number; latency: number };
  };
  /** Resident memory of the server processes, MiB: after start and after all runs. */
  rssMiB: { nodeRed: { before: number; after: number }; workerd: { before: number; after: number } };
}

const REQUESTS = 2_000;
const CONCURRENCY = 8;
const REPS = 4;
const RUN_BOUND_MS = 60_000;
const TARGETS: readonly ChainTarget[] = ["flows1", "nodeRed1", "flows5", "nodeRed5"];
const LABELS: Record<ChainTarget, string> = {
  flows1: "flows, 1 node",
  nodeRed1: "Node-RED, 1 node",
  flows5: "flows, 5 nodes",
  nodeRed5: "Node-RED, 5 nodes",
};
const NODES: Record<ChainTarget, number> = { flows1: 1, nodeRed1: 1, flows5: 5, nodeRed5: 5 };

/**
 * Runs the Node-RED comparison, prints a table, writes bench/results/node-red.json. About a minute.
 * @example await benchNodeRed() // npm run bench, or node bench/node-red.ts
 */
export async function benchNodeRed(print: (line: string) => void = console.log): Promise<NodeRedBenchResult> {
  const outdir = join(ROOT, ".tmp", "bench", `node-red-${process.pid}-${Date.now()}`);
  mkdirSync(outdir, { recursive: true });
  let served: WorkerdServer | undefined;
  let nodeRed: NodeServer | undefined;
  let pinned = false;
  try {
    const scripts = await bundleWorkers(["flows-chain"], outdir);
    const flows = await serveWithWorkerd({ bundle: scripts["flows-chain"]!, dir: outdir, cpus: "1" });
    served = flows;
    nodeRed = await startNodeServer(join(import.meta.dirname, "peers", "node-red-server.ts"), {
      BENCH_NODE_RED_DIR: join(outdir, "node-red"),
    });
    pinned = pin(flows.pid, "1") && pin(nodeRed.pid, "1") && pin(process.pid, "0");
    const rssBefore = { nodeRed: rssMiB(nodeRed.pid), workerd: rssMiB(flows.pid) };

    const server = nodeRed;
    const run = (target: ChainTarget, requests: number): Promise<LoadFigures> => {
      const [base, pid] = target.startsWith("flows") ? [flows.url, flows.pid] : [server.url, server.pid];
      const nodes = NODES[target];
      return load({
        requests,
        concurrency: CONCURRENCY,
        boundMs: RUN_BOUND_MS,
        pid,
        send: (i) =>
          fetch(`${base}chain${nodes}`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ n: i }),
            signal: AbortSignal.timeout(10_000),
          }),
        check: (r, text) => {
          if (r.status !== 200) return `${LABELS[target]}: ${r.status} ${text}`;
          const n = (JSON.parse(text) as { n?: unknown }).n;
          return typeof n === "number" && Number.isInteger(n) ? undefined : `${LABELS[target]}: ${text}`;
        },
      });
    };
    // Exact answers once, before the timed runs (the load loop checks the shape of every answer).
    for (const t of TARGETS) {
      const base = t.startsWith("flows") ? flows.url : server.url;
      const response = await fetch(`${base}chain${NODES[t]}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ n: 40 }),
        signal: AbortSignal.timeout(10_000),
      });
      const text = await response.text();
      if (response.status !== 200 || (JSON.parse(text) as { n: number }).n !== 40 + NODES[t])
        throw new Error(`${LABELS[t]} answered ${response.status} ${text}`);
    }

    const loadAverage = loadavg();
    for (const t of TARGETS) await run(t, 300);
    const runs = await interleaved(TARGETS, REPS, (t) => run(t, REQUESTS));
    const rssAfter = { nodeRed: rssMiB(nodeRed.pid), workerd: rssMiB(flows.pid) };

    const figures = figuresOf(TARGETS, runs);
    const { perSecond, latencyMs, cpuMsPerRequest } = figures;
    const ratio = (a: ChainTarget, b: ChainTarget) => ({
      perSecond: perSecond[a].median / perSecond[b].median,
      latency: latencyMs[a].median / latencyMs[b].median,
    });
    const result: NodeRedBenchResult = {
      date: new Date().toISOString(),
      requestsPerRun: REQUESTS,
      concurrency: CONCURRENCY,
      repetitions: REPS,
      pinned,
      loadAverage,
      perSecond,
      latencyMs,
      cpuMsPerRequest,
      ratios: { oneNode: ratio("flows1", "nodeRed1"), fiveNodes: ratio("flows5", "nodeRed5") },
      rssMiB: {
        nodeRed: { before: rssBefore.nodeRed, after: rssAfter.nodeRed },
        workerd: { before: rssBefore.workerd, after: rssAfter.workerd },
      },
    };

    print(
      `HTTP flows vs Node-RED: POST {"n"} through 1 or 5 nodes, ${REQUESTS} per run, ${CONCURRENCY} in flight, ${REPS} runs interleaved (order rotated) after warm-up; median (min–max); ${pinned ? "servers on CPU 1, client on CPU 0" : "not pinned"}; load average ${loadAverage.map((x) => x.toFixed(2)).join(" ")}`,
    );
    printFigures(print, TARGETS, LABELS, figures, "request", { label: 30, column: 25 });
    const { oneNode, fiveNodes } = result.ratios;
    print(
      `  flows ÷ Node-RED, requests/s: ${fixed(oneNode.perSecond, 2)} (1 node), ${fixed(fiveNodes.perSecond, 2)} (5 nodes); median latency: ${fixed(oneNode.latency, 2)} (1 node), ${fixed(fiveNodes.latency, 2)} (5 nodes)`,
    );
    print(
      `  RSS, MiB (after start → after the runs): Node-RED ${fixed(rssBefore.nodeRed, 1)} → ${fixed(rssAfter.nodeRed, 1)}; flows workerd ${fixed(rssBefore.workerd, 1)} → ${fixed(rssAfter.workerd, 1)}`,
    );
    const dir = join(import.meta.dirname, "results");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "node-red.json"), `${JSON.stringify(result, null, 2)}\n`);
    return result;
  } finally {
    if (pinned) pin(process.pid, "0-1");
    await nodeRed?.stop();
    await served?.stop();
    rmSync(outdir, { recursive: true, force: true });
  }
}

if (import.meta.main) await benchNodeRed();
