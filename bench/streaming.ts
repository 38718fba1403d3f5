import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { formatSpread, type Spread, spread } from "./stats.ts";
import { bundleWorkers, ROOT, rssMiB, serveOnWorkerd } from "./workerd.ts";

/**
 * Memory of workerd while 50 MB objects stream into R2 and back out: the flows runtime (`body: stream` → `r2.put`;
 * `r2.get` → `respond` through the kernel's bounded ChunkStream) beside a hand-written worker that pipes the bodies
 * itself, each on its own Miniflare (workerd directly), one at a time, in the same run. The client is Node's fetch
 * on 127.0.0.1, reading downloads a little slowly (a pause every 16 chunks) so that a worker that buffered would
 * show it. Figures: workerd's resident memory (VmRSS of its process) before and at its peak during the transfers.
 */

const MB = 1024 * 1024;
const SIZE = Number(process.env.BENCH_STREAM_MB ?? 50) * MB;
const ROUNDS = 3;
type Target = "flows" | "js" | "native";
const TARGETS: readonly Target[] = ["flows", "js", "native"];
const LABELS: Record<Target, string> = {
  flows: "flows (r2.put / r2.get → respond)",
  js: "hand-written, body read in JS",
  native: "hand-written, body piped natively",
};

export interface StreamingBenchResult {
  sizeBytes: number;
  rounds: number;
  loadAverage: number[];
  /** Per target: RSS in MiB before the transfers, peak during them, and peak growth. */
  targets: Record<
    Target,
    {
      baselineMiB: number;
      uploadPeakMiB: Spread;
      downloadPeakMiB: Spread;
      growthMiB: Spread;
      uploadMs: Spread;
      downloadMs: Spread;
    }
  >;
  /** flows growth ÷ native growth (median). */
  growthRatio: number;
  /** flows download time ÷ the JS-reading and native baselines (medians). */
  downloadRatio: { vsJs: number; vsNative: number };
  /** flows upload time ÷ the hand-written `put(request.body)` (medians). */
  uploadRatio: number;
}

/** 64 KiB pieces of a repeating pattern, made on demand. */
function body(total: number): ReadableStream<Uint8Array> {
  const piece = new Uint8Array(64 * 1024).map((_, i) => i % 253);
  let sent = 0;
  return new ReadableStream({
    pull(controller) {
      if (sent >= total) return controller.close();
      const size = Math.min(piece.byteLength, total - sent);
      controller.enqueue(size === piece.byteLength ? piece : piece.subarray(0, size));
      sent += size;
    },
  });
}

async function upload(url: string): Promise<number> {
  const started = performance.now();
  const response = await fetch(url, {
    method: "PUT",
    body: body(SIZE),
    headers: { "content-type": "application/octet-stream", "x-size": String(SIZE) },
    duplex: "half",
  } as RequestInit);
  if (response.status !== 200)
    throw new Error(`${url}: upload answered ${response.status}: ${await response.text()}`);
  await response.arrayBuffer();
  return performance.now() - started;
}

async function download(url: string): Promise<number> {
  const started = performance.now();
  const response = await fetch(url);
  if (response.status !== 200 || !response.body)
    throw new Error(`${url}: download answered ${response.status}`);
  let bytes = 0;
  let chunks = 0;
  for await (const chunk of response.body) {
    bytes += chunk.byteLength;
    if (++chunks % 16 === 0) await new Promise((resolve) => setTimeout(resolve, 1));
  }
  if (bytes !== SIZE) throw new Error(`${url}: downloaded ${bytes} bytes, expected ${SIZE}`);
  return performance.now() - started;
}

async function measure(
  script: string,
  persist: string,
  query: string,
): Promise<StreamingBenchResult["targets"][Target]> {
  const { mf, url, pid } = await serveOnWorkerd(script, {
    r2Buckets: { BUCKET: "bench" },
    r2Persist: persist,
  });
  try {
    const base = url.replace(/\/$/, "");
    // Warm up both paths with a small object, then settle.
    const small = `${base}/files/warm.bin`;
    await fetch(small, {
      method: "PUT",
      body: "warm",
      headers: { "content-type": "application/octet-stream", "x-size": "4" },
    });
    await fetch(small).then((r) => r.arrayBuffer());
    await new Promise((resolve) => setTimeout(resolve, 300));
    const baselineMiB = rssMiB(pid);
    const uploadPeaks: number[] = [];
    const downloadPeaks: number[] = [];
    const times: number[] = [];
    const uploadTimes: number[] = [];
    let peak = 0;
    const sampler = setInterval(() => {
      peak = Math.max(peak, rssMiB(pid));
    }, 10);
    try {
      for (let round = 0; round < ROUNDS; round++) {
        const url = `${base}/files/big-${round}.bin`;
        peak = rssMiB(pid);
        uploadTimes.push(await upload(url));
        uploadPeaks.push(Math.max(peak, rssMiB(pid)));
        peak = rssMiB(pid);
        times.push(await download(url + query));
        downloadPeaks.push(Math.max(peak, rssMiB(pid)));
      }
    } finally {
      clearInterval(sampler);
    }
    return {
      baselineMiB,
      uploadPeakMiB: spread(uploadPeaks),
      downloadPeakMiB: spread(downloadPeaks),
      growthMiB: spread(uploadPeaks.map((u, i) => Math.max(u, downloadPeaks[i]!) - baselineMiB)),
      uploadMs: spread(uploadTimes),
      downloadMs: spread(times),
    };
  } finally {
    await mf.dispose();
  }
}

/**
 * Runs the streaming-memory benchmark, prints a table, writes bench/results/streaming.json. About a minute.
 * @example await benchStreaming() // npm run bench
 */
export async function benchStreaming(
  print: (line: string) => void = console.log,
): Promise<StreamingBenchResult> {
  const outdir = join(ROOT, ".tmp", "bench", `streaming-${process.pid}-${Date.now()}`);
  mkdirSync(outdir, { recursive: true });
  try {
    const scripts = await bundleWorkers(["flows-r2", "raw-r2"], outdir);
    const loadAverage = loadavg();
    const targets = {} as StreamingBenchResult["targets"];
    for (const target of TARGETS) {
      const script = target === "flows" ? scripts["flows-r2"]! : scripts["raw-r2"]!;
      targets[target] = await measure(
        script,
        join(outdir, `r2-${target}`),
        target === "js" ? "?read=js" : "",
      );
    }
    const growthRatio = targets.flows.growthMiB.median / targets.native.growthMiB.median;
    const downloadRatio = {
      vsJs: targets.flows.downloadMs.median / targets.js.downloadMs.median,
      vsNative: targets.flows.downloadMs.median / targets.native.downloadMs.median,
    };
    const uploadRatio = targets.flows.uploadMs.median / targets.native.uploadMs.median;
    const result: StreamingBenchResult = {
      sizeBytes: SIZE,
      rounds: ROUNDS,
      loadAverage,
      targets,
      growthRatio,
      downloadRatio,
      uploadRatio,
    };
    print(
      `Streaming ${SIZE / MB} MB into R2 and back out, Miniflare (workerd), ${ROUNDS} rounds each, load average ${loadAverage.map((x) => x.toFixed(2)).join(" ")}`,
    );
    print(
      "| worker | RSS before | peak RSS in uploads | peak RSS in downloads | growth MiB | upload ms | download ms |",
    );
    print("| --- | --- | --- | --- | --- | --- | --- |");
    for (const t of TARGETS) {
      const f = targets[t];
      print(
        `| ${LABELS[t]} | ${f.baselineMiB.toFixed(1)} MiB | ${formatSpread(f.uploadPeakMiB, 1)} | ${formatSpread(f.downloadPeakMiB, 1)} | ${formatSpread(f.growthMiB, 1)} | ${formatSpread(f.uploadMs, 0)} | ${formatSpread(f.downloadMs, 0)} |`,
      );
    }
    print(
      `RSS growth flows ÷ native: ${growthRatio.toFixed(2)} (objects of ${SIZE / MB} MiB); download time flows ÷ JS reader ${downloadRatio.vsJs.toFixed(2)}, ÷ native ${downloadRatio.vsNative.toFixed(2)}; upload time flows ÷ native ${uploadRatio.toFixed(2)}`,
    );
    // Issue 21's goals, each a same-run ratio.
    const goal = (name: string, value: number) =>
      print(`${value <= 1.2 ? "met" : "MISSED"}: ${name} ${value.toFixed(2)}× (goal ≤ 1.2×)`);
    goal("download time flows ÷ native pipe", downloadRatio.vsNative);
    goal("upload time flows ÷ hand-written put(request.body)", uploadRatio);
    goal("RSS growth flows ÷ native", growthRatio);
    const dir = join(import.meta.dirname, "results");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "streaming.json"), `${JSON.stringify(result, null, 2)}\n`);
    return result;
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

if (import.meta.main) await benchStreaming();
