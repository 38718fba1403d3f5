import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
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
 * Bundles `<dir>/<name>.ts` (`bench/workers` by default) for each name into `outdir/<name>.mjs` (ESM for workerd,
 * `cloudflare:*` external); returns the paths by name.
 */
export async function bundleWorkers(
  names: readonly string[],
  outdir: string,
  dir: string = join(ROOT, "bench", "workers"),
): Promise<Record<string, string>> {
  await build({
    entryPoints: Object.fromEntries(names.map((name) => [name, join(dir, `${name}.ts`)])),
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

export const TICKS_PER_SECOND = Number(execFileSync("getconf", ["CLK_TCK"]).toString().trim()) || 100;

/** Pids of workerd processes that descend (at any depth) from this process. */
export function workerdPids(): Set<number> {
  const parent = new Map<number, number>();
  const names = new Map<number, string>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const close = stat.lastIndexOf(")");
      names.set(Number(entry), stat.slice(stat.indexOf("(") + 1, close));
      parent.set(Number(entry), Number(stat.slice(close + 2).split(" ")[1]));
    } catch {
      // The process ended while we looked.
    }
  }
  const mine = (pid: number): boolean => {
    for (let p = parent.get(pid); p !== undefined && p > 1; p = parent.get(p))
      if (p === process.pid) return true;
    return false;
  };
  return new Set(
    [...names].filter(([pid, name]) => name.startsWith("workerd") && mine(pid)).map(([pid]) => pid),
  );
}

/** Resident memory of a process, MiB (VmRSS). */
export function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN) / 1024;
}

/** utime + stime of a process, ms. */
export function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return ((Number(fields[11]) + Number(fields[12])) * 1_000) / TICKS_PER_SECOND;
}

/** Pins a process (all its threads) to `cpus` (`"1"`, `"0-1"`); false when taskset is missing or refuses. */
export function pin(pid: number, cpus: string): boolean {
  try {
    execFileSync("taskset", ["-a", "-p", "-c", cpus, String(pid)], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
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
