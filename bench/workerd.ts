import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { build } from "esbuild";
import { convertV4MiniflareOptions, Miniflare } from "miniflare";

/**
 * Serving bench workers on workerd directly (Miniflare, never `wrangler dev`'s proxy): bundling `bench/workers/*`,
 * starting one Miniflare per worker on 127.0.0.1, and finding its workerd process for CPU and memory figures.
 */

export const ROOT = join(import.meta.dirname, "..");

/** The compatibility settings of every bench worker (the root wrangler.toml's). */
const COMPATIBILITY = { compatibilityDate: "2026-11-01", compatibilityFlags: ["enable_request_signal"] };

/**
 * Bundles `bench/workers/<name>.ts` for each name into `outdir/<name>.mjs` (ESM for workerd, `cloudflare:*`
 * external); returns the paths by name.
 */
export async function bundleWorkers(
  names: readonly string[],
  outdir: string,
): Promise<Record<string, string>> {
  await build({
    entryPoints: Object.fromEntries(
      names.map((name) => [name, join(ROOT, "bench", "workers", `${name}.ts`)]),
    ),
    outdir,
    outExtension: { ".js": ".mjs" },
    bundle: true,
    format: "esm",
    platform: "browser",
    conditions: ["workerd", "worker", "browser"],
    // Runtime modules (cloudflare:workers for Durable Object classes) are provided by workerd.
    external: ["cloudflare:*"],
    target: "es2022",
    logLevel: "warning",
  });
  return Object.fromEntries(names.map((name) => [name, join(outdir, `${name}.mjs`)]));
}

/** The workerd processes started by this Node process (Miniflare's children). */
export function workerdPids(): Set<number> {
  try {
    const out = execFileSync("pgrep", ["-P", String(process.pid), "workerd"], { encoding: "utf8" });
    return new Set(out.split(/\s+/).filter(Boolean).map(Number));
  } catch {
    return new Set();
  }
}

/** Resident memory of a process, MiB (VmRSS). */
export function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN) / 1024;
}

/** CPU time (user + system) a process has used, ms. */
export function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  // utime and stime are fields 14 and 15 of /proc/<pid>/stat, in clock ticks (100 per second on Linux).
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

export interface ServedWorker {
  mf: Miniflare;
  /** With a trailing slash. */
  url: string;
  /** Its workerd process. */
  pid: number;
}

/**
 * Serves a bundled worker on workerd through Miniflare on 127.0.0.1 (a free port), with extra Miniflare (v4-shape)
 * options such as bindings, R2 buckets or Durable Objects.
 */
export async function serveOnWorkerd(
  scriptPath: string,
  options: Record<string, unknown> = {},
): Promise<ServedWorker> {
  const before = workerdPids();
  // Miniflare 5 (beta) moved worker options under `workers[].config`; its converter takes the v4 shape.
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      modules: true,
      scriptPath,
      ...COMPATIBILITY,
      host: "127.0.0.1",
      port: 0,
      ...options,
    } as Parameters<typeof convertV4MiniflareOptions>[0]),
  );
  try {
    const url = await mf.ready;
    const pids = [...workerdPids()].filter((p) => !before.has(p));
    if (pids.length !== 1) throw new Error(`expected one new workerd process, found ${pids.length}`);
    return { mf, url: url.href.endsWith("/") ? url.href : `${url.href}/`, pid: pids[0]! };
  } catch (error) {
    await mf.dispose().catch(() => {});
    throw error;
  }
}
