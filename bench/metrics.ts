import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type DirectWorker, directCpuPerRequest, interleave, printVerdicts } from "./sides.ts";
import { bundleWorkers } from "./workerd.ts";

/**
 * What run metrics cost a JSON route (issue 20): the 1-node chain (`workers/flows-metrics.ts`) without metrics
 * (the baseline), the same again (A/A: the noise of this run), with a data point per run, and sampled at 0.1. One
 * Node process calls the bundle's `fetch` directly, one request at a time, `BENCH_REQUESTS` (default 5,000) per
 * side and round, `BENCH_ROUNDS` (default 9, at least 3) rounds, this process's CPU. The dataset is a stand-in whose
 * `writeDataPoint` keeps nothing (the platform's own is fire-and-forget, buffered outside the isolate): what is
 * measured is the host's share, building and handing over the point. Not on `workerd serve`: its config has no
 * Analytics Engine binding outside Miniflare.
 */
const SIDES = [
  { name: "no metrics (baseline)", path: "chain1" },
  { name: "no metrics again (A/A)", path: "chain1" },
  { name: "metrics: a data point per run", path: "chain1-metrics" },
  { name: "metrics: { sample: 0.1 }", path: "chain1-sampled" },
] as const;

export async function benchMetrics(): Promise<void> {
  const rounds = Math.max(3, Number(process.env.BENCH_ROUNDS ?? 9));
  const requests = Math.max(100, Number(process.env.BENCH_REQUESTS ?? 5000));
  const out = mkdtempSync(join(tmpdir(), "bench-metrics-"));
  const bundle = (await bundleWorkers(["flows-metrics"], out, undefined, { node: true }))["flows-metrics"]!;
  const worker = (await import(bundle)).default as DirectWorker;
  let points = 0;
  const env = { METRICS: { writeDataPoint: () => void points++ } };
  const { samples, ratios } = await interleave(SIDES, rounds, (side) =>
    directCpuPerRequest(worker, side.path, env, requests),
  );
  printVerdicts(
    `Run metrics and a JSON route, one Node process: ${rounds} rounds × ${requests} requests (${points} data points written)`,
    "CPU µs/request",
    SIDES,
    samples,
    ratios,
  );
}

if (import.meta.main) await benchMetrics();
