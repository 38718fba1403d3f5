import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { convertV4MiniflareOptions, Miniflare } from "miniflare";
import { BUNDLE_FILE, COMPATIBILITY_DATE, COMPATIBILITY_FLAGS, CONFIG_FILE } from "../cli/package/config.ts";
import { type PackageResult, packageWorkers } from "../cli/package/index.ts";

/**
 * Packaging (`flows package workers`) of each example folder: the bundle's size raw and gzipped (what the
 * Workers size limit counts; the goal for the GitHub example is under 150 KB gzipped), how long packaging took,
 * and the packaged Worker's startup time in workerd: from `new Miniflare(...)` with the package's bundle and
 * bindings to the first 200 of `GET /_flows/health` (a workerd process start, the script's evaluation, and
 * the flows' plans compiled at startup), median of 5 after one warm-up.
 */

export const EXAMPLE_FOLDERS: readonly string[] = [
  "examples/s3_workers_echo",
  "examples/capabilities",
  "examples/upload-pipeline",
  "examples/cron-report",
  "examples/github-app",
];
const STARTUP_RUNS = 5;
const GZIP_GOAL_BYTES = 150 * 1024;

export interface PackageBenchRow {
  folder: string;
  flows: number;
  rawBytes: number;
  gzipBytes: number;
  packageMs: number;
  largest: { name: string; bytes: number }[];
  startupMs: { median: number; min: number; max: number; samples: number[] };
}

type WranglerJson = {
  compatibility_date: string;
  compatibility_flags: string[];
  kv_namespaces?: { binding: string }[];
  r2_buckets?: { binding: string; bucket_name: string }[];
  queues?: { producers?: { binding: string; queue: string }[] };
  durable_objects?: { bindings: { name: string; class_name: string }[] };
};

/** Miniflare (v4 shape) options from a packaged Worker's wrangler.jsonc. */
function miniflareOptions(out: string): Record<string, unknown> {
  const config = JSON.parse(
    readFileSync(join(out, CONFIG_FILE), "utf8").replace(/^\s*\/\/.*$/gm, ""),
  ) as WranglerJson;
  return {
    modules: true,
    scriptPath: join(out, BUNDLE_FILE),
    modulesRoot: out,
    compatibilityDate: config.compatibility_date,
    compatibilityFlags: config.compatibility_flags,
    host: "127.0.0.1",
    port: 0,
    kvNamespaces: (config.kv_namespaces ?? []).map((k) => k.binding),
    r2Buckets: (config.r2_buckets ?? []).map((r) => r.binding),
    queueProducers: Object.fromEntries((config.queues?.producers ?? []).map((p) => [p.binding, p.queue])),
    durableObjects: Object.fromEntries(
      (config.durable_objects?.bindings ?? []).map((d) => [
        d.name,
        { className: d.class_name, useSQLite: true },
      ]),
    ),
  };
}

async function startupMs(out: string): Promise<number> {
  const start = performance.now();
  const mf = new Miniflare(convertV4MiniflareOptions(miniflareOptions(out) as never));
  try {
    const url = await mf.ready;
    for (;;) {
      const response = await fetch(new URL("/_flows/health", url));
      await response.arrayBuffer();
      if (response.status === 200) return performance.now() - start;
      if (performance.now() - start > 30_000) throw new Error(`health answered ${response.status}`);
    }
  } finally {
    await mf.dispose();
  }
}

const spread = (samples: number[]) => {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    median: sorted[Math.floor(sorted.length / 2)] ?? Number.NaN,
    min: sorted[0] ?? Number.NaN,
    max: sorted.at(-1) ?? Number.NaN,
    samples: samples.map((s) => Math.round(s * 10) / 10),
  };
};

/**
 * Runs the packaging benchmark, prints a table, writes bench/results/package.json and returns the rows.
 * @example await benchPackage() // npm run bench
 */
export async function benchPackage(print: (line: string) => void = console.log): Promise<PackageBenchRow[]> {
  const temp = mkdtempSync(join(tmpdir(), "flows-bench-package-"));
  const rows: PackageBenchRow[] = [];
  let baseline: PackageBenchRow["startupMs"] | undefined;
  try {
    const packaged: { folder: string; out: string; result: PackageResult; packageMs: number }[] = [];
    for (const folder of EXAMPLE_FOLDERS) {
      const out = join(temp, folder.replaceAll("/", "_"));
      const start = performance.now();
      const result = await packageWorkers([folder], { out });
      if (!result.ok) throw new Error(`${folder} did not package`);
      packaged.push({ folder, out, result, packageMs: performance.now() - start });
    }
    // Baseline: the same measurement on a one-line Worker, so that Miniflare's and workerd's own start shows.
    const hello = join(temp, "hello");
    mkdirSync(hello, { recursive: true });
    writeFileSync(join(hello, BUNDLE_FILE), 'export default { fetch: () => new Response("ok") };\n');
    writeFileSync(
      join(hello, CONFIG_FILE),
      JSON.stringify({
        compatibility_date: COMPATIBILITY_DATE,
        compatibility_flags: [...COMPATIBILITY_FLAGS],
      }),
    );
    // Interleaved rounds (the first a warm-up), so that every Worker sees the same machine state.
    const targets = [hello, ...packaged.map((p) => p.out)];
    const samples = targets.map((): number[] => []);
    for (let round = 0; round <= STARTUP_RUNS; round++) {
      for (const [i, target] of targets.entries()) {
        const ms = await startupMs(target);
        if (round > 0) samples[i]?.push(ms);
      }
    }
    baseline = spread(samples[0] ?? []);
    for (const [i, p] of packaged.entries()) {
      rows.push({
        folder: p.folder,
        flows: p.result.flows.length,
        rawBytes: p.result.bundle.raw,
        gzipBytes: p.result.bundle.gzip,
        packageMs: p.packageMs,
        largest: p.result.bundle.largest,
        startupMs: spread(samples[i + 1] ?? []),
      });
    }
  } finally {
    rmSync(temp, { recursive: true, force: true });
  }
  const kib = (n: number) => (n / 1024).toFixed(1);
  print(
    `flows package workers, per example folder (minified esbuild bundle; gzip = node:zlib default level; startup = new Miniflare → first 200 of /_flows/health, median (min–max) of ${STARTUP_RUNS} interleaved rounds after a warm-up; load average ${loadavg()
      .map((x) => x.toFixed(2))
      .join(" ")}; goal for the GitHub example: < ${GZIP_GOAL_BYTES / 1024} KiB gzipped)`,
  );
  print("folder                       flows   raw KiB   gzip KiB   package ms   startup ms");
  for (const r of rows) {
    print(
      `${r.folder.padEnd(27)}  ${String(r.flows).padStart(5)}   ${kib(r.rawBytes).padStart(7)}   ${kib(r.gzipBytes).padStart(8)}   ${r.packageMs.toFixed(0).padStart(10)}   ${r.startupMs.median.toFixed(0)} (${r.startupMs.min.toFixed(0)}–${r.startupMs.max.toFixed(0)})`,
    );
    print(`  largest parts: ${r.largest.map((l) => `${l.name} ${kib(l.bytes)}`).join(", ")}`);
  }
  if (baseline) {
    print(
      `baseline: a one-line Worker starts in ${baseline.median.toFixed(0)} ms (${baseline.min.toFixed(0)}–${baseline.max.toFixed(0)}) measured the same way`,
    );
  }
  const dir = join(import.meta.dirname, "results");
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, "package.json"),
    `${JSON.stringify({ gzipGoalBytes: GZIP_GOAL_BYTES, rows, baselineStartupMs: baseline }, null, 2)}\n`,
  );
  return rows;
}

if (import.meta.main) await benchPackage();
