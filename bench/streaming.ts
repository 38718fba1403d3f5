import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { formatSpread, type Spread, spread } from "./stats.ts";
import { bundleWorkers, ROOT, rssMiB, serveOnWorkerd } from "./workerd.ts";

/**
 * Time and memory of workerd while 50 MB objects stream into R2 and back out: the flows runtime (`body: stream` with
 * a content-length → `r2.put`; `r2.get` → `respond`, handed to the response untouched) beside a hand-written worker
 * that pipes the bodies itself, natively and through JavaScript, each on its own Miniflare (workerd), all served at
 * once, the rounds interleaved, one transfer at a time. The client is Node's fetch on 127.0.0.1, reading downloads a
 * little slowly (a pause every 16 chunks) so that a worker that buffered would show it. Figures: upload and download
 * times, and workerd's resident memory (VmRSS of its process) before and at its peak during the transfers.
 */

const MB = 1024 * 1024;
const SIZE = Number(process.env.BENCH_STREAM_MB ?? 50) * MB;
const ROUNDS = 7;
const DOWNLOADS_PER_ROUND = 5;
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
  /** flows download time ÷ the JS-reading and native baselines (medians of the per-round ratios). */
  downloadRatio: { vsJs: number; vsNative: number };
  /** flows upload time ÷ the hand-written `put(request.body)` (median of the per-round ratios). */
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
    // A client that knows its length says so (Node's fetch sends it with a stream body), as browsers and curl do
    // for a file; `x-size` is the hand-written worker's own header for the same figure.
    headers: {
      "content-type": "application/octet-stream",
      "content-length": String(SIZE),
      "x-size": String(SIZE),
    },
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

interface Served {
  base: string;
  pid: number;
  dispose(): Promise<unknown>;
}

async function serve(script: string, persist: string): Promise<Served> {
  const { mf, url, pid } = await serveOnWorkerd(script, {
    r2Buckets: { BUCKET: "bench" },
    r2Persist: persist,
  });
  const base = url.replace(/\/$/, "");
  // Warm up both paths with a small object.
  const small = `${base}/files/warm.bin`;
  await fetch(small, {
    method: "PUT",
    body: "warm",
    headers: { "content-type": "application/octet-stream", "x-size": "4" },
  });
  await fetch(small).then((r) => r.arrayBuffer());
  return { base, pid, dispose: () => mf.dispose() };
}

/**
 * Every target served at once, each on its own workerd, and the rounds interleaved (round r starts at target r,
 * so no target always goes first or last on a warmer disk): one target's upload then download at a time, its
 * own process's resident memory sampled every 10 ms.
 */
async function measureAll(
  scripts: Record<Target, string>,
  outdir: string,
): Promise<StreamingBenchResult["targets"]> {
  const served = {} as Record<Target, Served>;
  try {
    for (const target of TARGETS) served[target] = await serve(scripts[target], join(outdir, `r2-${target}`));
    await new Promise((resolve) => setTimeout(resolve, 300));
    const samples = Object.fromEntries(
      TARGETS.map((t) => [
        t,
        {
          baseline: rssMiB(served[t].pid),
          up: [] as number[],
          down: [] as number[],
          upMs: [] as number[],
          downMs: [] as number[],
        },
      ]),
    ) as Record<Target, { baseline: number; up: number[]; down: number[]; upMs: number[]; downMs: number[] }>;
    // Each target's peak resident memory, sampled every 10 ms (only the target transferring grows).
    const peak = {} as Record<Target, number>;
    const resetPeaks = (): void => {
      for (const t of TARGETS) peak[t] = rssMiB(served[t].pid);
    };
    resetPeaks();
    const sampler = setInterval(() => {
      for (const t of TARGETS) peak[t] = Math.max(peak[t], rssMiB(served[t].pid));
    }, 10);
    const rotated = (n: number): Target[] => TARGETS.map((_, i) => TARGETS[(n + i) % TARGETS.length]!);
    try {
      for (let round = 0; round < ROUNDS; round++) {
        const url = (t: Target) => `${served[t].base}/files/big-${round}.bin`;
        resetPeaks();
        for (const t of rotated(round)) samples[t].upMs.push(await upload(url(t)));
        for (const t of TARGETS) samples[t].up.push(Math.max(peak[t], rssMiB(served[t].pid)));
        // Downloads take a tenth of an upload's time and vary more (the client's timer-paced reads): several a
        // round, the targets taking turns, so that a slow moment of the machine falls on all of them.
        resetPeaks();
        for (let d = 0; d < DOWNLOADS_PER_ROUND; d++)
          for (const t of rotated(round + d))
            samples[t].downMs.push(await download(url(t) + (t === "js" ? "?read=js" : "")));
        for (const t of TARGETS) samples[t].down.push(Math.max(peak[t], rssMiB(served[t].pid)));
      }
    } finally {
      clearInterval(sampler);
    }
    return Object.fromEntries(
      TARGETS.map((t) => {
        const s = samples[t];
        return [
          t,
          {
            baselineMiB: s.baseline,
            uploadPeakMiB: spread(s.up),
            downloadPeakMiB: spread(s.down),
            growthMiB: spread(s.up.map((u, i) => Math.max(u, s.down[i]!) - s.baseline)),
            uploadMs: spread(s.upMs),
            downloadMs: spread(s.downMs),
          },
        ];
      }),
    ) as StreamingBenchResult["targets"];
  } finally {
    await Promise.all(Object.values(served).map((s) => s.dispose()));
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
    const targets = await measureAll(
      { flows: scripts["flows-r2"]!, js: scripts["raw-r2"]!, native: scripts["raw-r2"]! },
      outdir,
    );
    const growthRatio = targets.flows.growthMiB.median / targets.native.growthMiB.median;
    // Time ratios pair each transfer with the other target's in the same round (the same moment of the machine and
    // its disk), then take the median: a slow phase of the R2 simulator's disk falls on both sides of a pair.
    const paired = (a: Spread, b: Spread): Spread => spread(a.samples.map((x, i) => x / b.samples[i]!));
    const downloadPaired = paired(targets.flows.downloadMs, targets.native.downloadMs);
    const uploadPaired = paired(targets.flows.uploadMs, targets.native.uploadMs);
    const downloadRatio = {
      vsJs: paired(targets.flows.downloadMs, targets.js.downloadMs).median,
      vsNative: downloadPaired.median,
    };
    const uploadRatio = uploadPaired.median;
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
      `Streaming ${SIZE / MB} MB into R2 and back out, Miniflare (workerd), ${ROUNDS} interleaved rounds (an upload and ${DOWNLOADS_PER_ROUND} downloads each), load average ${loadAverage.map((x) => x.toFixed(2)).join(" ")}`,
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
      `RSS growth flows ÷ native: ${growthRatio.toFixed(2)} (objects of ${SIZE / MB} MiB); download time flows ÷ JS reader ${downloadRatio.vsJs.toFixed(2)}, ÷ native ${formatSpread(downloadPaired, 2)}; upload time flows ÷ native ${formatSpread(uploadPaired, 2)} (medians of the ratios of transfers made in the same round, with their range)`,
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
