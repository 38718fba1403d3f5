import { mkdtempSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { loadFromProcess } from "./load-process.ts";
import { type DirectWorker, directCpuPerRequest, interleave, printVerdicts } from "./sides.ts";
import { fixed } from "./stats.ts";
import { bundleWorkers, durableObjectDir, serveWithWorkerd, type WorkerdServer } from "./workerd.ts";

/**
 * What the run store costs a JSON route that does not ask for recording (issue 16), the 1-node chain
 * (`workers/flows-recording.ts`) under five sides: without `FLOWS_RUNS` (the baseline), the same again (A/A: the
 * noise of this run), with `FLOWS_RUNS` bound under the default policy (failed runs only; these succeed), with
 * `record: none`, and with `record: all` (every run recorded: the control, which shows the bench sees a recording
 * when there is one). `BENCH_ROUNDS` (default 9, at least 3) rounds after a warm-up, the sides' order rotated each
 * round; each side's CPU per request is divided by the baseline's of the same round, and a side is "within noise"
 * when the median of its ratios is no further from 1 than the furthest A/A ratio.
 *
 * 1. `workerd serve` pinned to CPU 0 (the A/A side on a second server), load from a process pinned to CPU 1,
 *    20 connections for `BENCH_SECONDS` (default 3) per side and round; workerd's CPU from /proc.
 * 2. One Node process, without the noise of a server and a load process: the bundle's `fetch` called directly,
 *    one request at a time, `BENCH_REQUESTS` (default 5,000) per side and round, this process's CPU. `FLOWS_RUNS`
 *    there is a stand-in whose objects answer at once, so `record: all` shows the host's own share of a recording
 *    (events collected, record built, calls made).
 */
export async function benchRecording(): Promise<void> {
  const rounds = Math.max(3, Number(process.env.BENCH_ROUNDS ?? 9));
  const out = mkdtempSync(join(tmpdir(), "bench-recording-"));
  await onWorkerd(out, rounds);
  await inProcess(out, rounds);
}

const POLICY_SIDES = [
  { name: "without FLOWS_RUNS (baseline)", bound: false, path: "chain1" },
  { name: "without FLOWS_RUNS again (A/A)", bound: false, path: "chain1" },
  { name: "FLOWS_RUNS bound, default policy (failed only; these succeed)", bound: true, path: "chain1" },
  { name: "FLOWS_RUNS bound, record: none", bound: true, path: "chain1-none" },
  { name: "FLOWS_RUNS bound, record: all (control)", bound: true, path: "chain1-all" },
] as const;
type Side = (typeof POLICY_SIDES)[number];

async function onWorkerd(out: string, rounds: number): Promise<void> {
  const seconds = Math.max(1, Number(process.env.BENCH_SECONDS ?? 3));
  const bundle = (await bundleWorkers(["flows-recording"], join(out, "workerd")))["flows-recording"]!;
  const servers: WorkerdServer[] = [];
  try {
    for (const name of ["unbound", "again", "bound"]) {
      const bound = name === "bound";
      servers.push(
        await serveWithWorkerd({
          bundle,
          dir: bound ? durableObjectDir("recording") : join(out, name),
          ...(bound && { durableObjects: { FLOWS_RUNS: "FlowsRuns" } }),
          cpus: "0",
        }),
      );
    }
    const serverOf = (side: Side, index: number) => servers[side.bound ? 2 : index]!;
    const loadBefore = loadavg()[0]!;
    const { samples, ratios } = await interleave(POLICY_SIDES, rounds, async (side, index, warmUp) => {
      const server = serverOf(side, index);
      const result = await loadFromProcess({
        url: `${server.url}${side.path}`,
        method: "POST",
        headers: { "content-type": "application/json" },
        body: '{"n":1}',
        connections: 20,
        seconds: warmUp ? 1 : seconds,
        serverPid: server.pid,
        expect: { status: 200, json: { n: 2 } },
      });
      return { cpuUs: result.cpuMsPerRequest * 1000, perSecond: result.perSecond };
    });
    printVerdicts(
      `The run store and a JSON route: workerd serve, ${rounds} rounds × ${seconds} s, load average ${fixed(loadBefore, 1)} → ${fixed(loadavg()[0]!, 1)}`,
      "workerd CPU µs/request",
      POLICY_SIDES,
      samples,
      ratios,
    );
  } finally {
    for (const server of servers) await server.stop();
  }
}

/** A FLOWS_RUNS stand-in: every object answers at once, as if stored (`saveRun`, `addEntry`, `forget`). */
const instantRunsNamespace = {
  getByName: () => ({ saveRun: async () => {}, addEntry: async () => [], forget: async () => {} }),
};

async function inProcess(out: string, rounds: number): Promise<void> {
  const requests = Math.max(100, Number(process.env.BENCH_REQUESTS ?? 5000));
  const bundle = (await bundleWorkers(["flows-recording"], join(out, "node"), undefined, { node: true }))[
    "flows-recording"
  ]!;
  const worker = (await import(bundle)).default as DirectWorker;
  const { samples, ratios } = await interleave(POLICY_SIDES, rounds, (side) =>
    directCpuPerRequest(worker, side.path, side.bound ? { FLOWS_RUNS: instantRunsNamespace } : {}, requests),
  );
  printVerdicts(
    `The same in one Node process: the bundle's fetch called directly, ${rounds} rounds × ${requests} requests`,
    "CPU µs/request",
    POLICY_SIDES,
    samples,
    ratios,
  );
}

if (import.meta.main) await benchRecording();
