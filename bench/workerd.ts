import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, dirname, join, relative } from "node:path";
import { build, type PluginBuild } from "esbuild";
import type { Miniflare } from "miniflare";

/**
 * Serving bench workers on workerd: bundling `bench/workers/*`, then either `workerd serve` from a generated capnp
 * config (`serveWithWorkerd`: the Worker alone, what the primary figures use) or one Miniflare per worker
 * (`serveOnWorkerd`: Miniflare's entry worker in front, about 1 ms of workerd CPU per request; secondary figures
 * and modules that need Miniflare's local R2), on 127.0.0.1; and the workerd process's CPU and memory from /proc.
 */

export const ROOT = join(import.meta.dirname, "..");

/** The compatibility settings of every bench worker (the root wrangler.toml's). */
const COMPATIBILITY = { compatibilityDate: "2026-11-01", compatibilityFlags: ["enable_request_signal"] };

/**
 * For a bundle loaded by Node (`{ node: true }`): each `cloudflare:*` module the runtime imports is a stand-in
 * (empty DurableObject and WorkflowEntrypoint classes, a `waitUntil` that lets the work run on: nothing ends the
 * process under it). A module without one fails the bundle by name.
 */
const STAND_INS: Record<string, string> = {
  "cloudflare:workers": [
    "export class DurableObject { constructor(ctx, env) { this.ctx = ctx; this.env = env; } }",
    "export class WorkflowEntrypoint { constructor(ctx, env) { this.ctx = ctx; this.env = env; } }",
    "export function waitUntil(promise) { promise.catch(() => {}); }",
    "export const env = {};",
  ].join("\n"),
  "cloudflare:workflows": "export class NonRetryableError extends Error { name = 'NonRetryableError'; }",
};

const CLOUDFLARE_WORKERS_STAND_IN = {
  name: "cloudflare-workers-stand-in",
  setup(b: PluginBuild) {
    b.onResolve({ filter: /^cloudflare:/ }, (args) => {
      if (!(args.path in STAND_INS))
        return { errors: [{ text: `no Node stand-in for ${args.path} (bench/workerd.ts STAND_INS)` }] };
      return { path: args.path, namespace: "stand-in" };
    });
    b.onLoad({ filter: /.*/, namespace: "stand-in" }, (args) => ({
      contents: STAND_INS[args.path],
      loader: "js",
    }));
  },
};

/**
 * Bundles `<dir>/<name>.ts` (`bench/workers` by default) for each name into `outdir/<name>.mjs` (ESM for workerd,
 * `cloudflare:*` external); returns the paths by name. With `{ node: true }` the bundles load in Node instead
 * (`cloudflare:workers` replaced by a stand-in), for timing a module's import; with `{ minify: true }` they are
 * minified, as `flows package workers` minifies a Worker (what start-up figures should load).
 */
export async function bundleWorkers(
  names: readonly string[],
  outdir: string,
  dir: string = join(ROOT, "bench", "workers"),
  options: { node?: boolean; minify?: boolean } = {},
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
    ...(options.node ? { plugins: [CLOUDFLARE_WORKERS_STAND_IN] } : { external: ["cloudflare:*"] }),
    target: "es2022",
    ...(options.minify ? { minify: true, legalComments: "none" as const } : {}),
    logLevel: "warning",
  });
  return Object.fromEntries(names.map((name) => [name, join(outdir, `${name}.mjs`)]));
}

/** The workerd binary of the `workerd` package (an ELF executable: its pid is workerd's own). */
export const WORKERD = join(ROOT, "node_modules", "workerd", "bin", "workerd");

export interface WorkerdServeOptions {
  /** The bundled ES module (`bundleWorkers`), embedded by the config (a path relative to `dir`). */
  bundle: string;
  /** Where the config (and the Durable Objects' SQLite files) go; created if missing. */
  dir: string;
  /** Text bindings (vars and secrets) by name. */
  text?: Record<string, string>;
  /** Durable Object namespace bindings: binding name → class exported by the bundle (SQLite storage on disk). */
  durableObjects?: Record<string, string>;
  /** Port on 127.0.0.1; 0 (the default) lets workerd pick a free one. */
  port?: number;
  /** CPUs workerd is pinned to (`taskset -c`), e.g. `"0"`; unpinned when taskset is missing or this is undefined. */
  cpus?: string;
  /** workerd must be listening within this, ms (default 30,000). */
  startMs?: number;
}

const capnpString = (text: string): string => JSON.stringify(text);

/** The capnp config `workerd serve` reads: one worker service on one HTTP socket, Durable Objects on local disk. */
export function workerdConfig(options: WorkerdServeOptions): string {
  const module = basename(options.bundle);
  const objects = Object.entries(options.durableObjects ?? {});
  const bindings = [
    ...Object.entries(options.text ?? {}).map(
      ([name, value]) => `(name = ${capnpString(name)}, text = ${capnpString(value)})`,
    ),
    ...objects.map(
      ([name, className]) =>
        `(name = ${capnpString(name)}, durableObjectNamespace = ${capnpString(className)})`,
    ),
  ];
  const classes = [...new Set(objects.map(([, className]) => className))];
  const services = [`(name = "main", worker = .worker)`];
  if (classes.length > 0)
    services.push(
      `(name = "disk", disk = (path = ${capnpString(join(options.dir, "objects"))}, writable = true))`,
    );
  return [
    `using Workerd = import "/workerd/workerd.capnp";`,
    `const config :Workerd.Config = (`,
    `  services = [ ${services.join(", ")} ],`,
    `  sockets = [ (name = "http", address = "127.0.0.1:${options.port ?? 0}", http = (), service = "main") ],`,
    `);`,
    `const worker :Workerd.Worker = (`,
    `  modules = [ (name = ${capnpString(module)}, esModule = embed ${capnpString(relative(options.dir, options.bundle))}) ],`,
    `  compatibilityDate = ${capnpString(COMPATIBILITY.compatibilityDate)},`,
    `  compatibilityFlags = [ ${COMPATIBILITY.compatibilityFlags.map(capnpString).join(", ")} ],`,
    `  bindings = [ ${bindings.join(", ")} ],`,
    ...(classes.length > 0
      ? [
          `  durableObjectNamespaces = [ ${classes.map((c) => `(className = ${capnpString(c)}, uniqueKey = ${capnpString(`bench-${c}`)}, enableSql = true)`).join(", ")} ],`,
          `  durableObjectStorage = (localDisk = "disk"),`,
        ]
      : []),
    `);`,
    "",
  ].join("\n");
}

export interface WorkerdServer {
  /** `http://127.0.0.1:<port>/`, with a trailing slash. */
  url: string;
  port: number;
  /** workerd's own pid (its utime + stime is the Worker's cost, all threads). */
  pid: number;
  pinned: boolean;
  /** performance.now() when the process was spawned and when workerd reported its socket listening. */
  spawnedAt: number;
  listeningAt: number;
  /** Kills workerd's process group (SIGKILL) and waits until the process is gone; safe to call twice. */
  stop: () => Promise<void>;
}

/**
 * A fresh folder for Durable Objects' SQLite files: on a tmpfs when there is one (`BENCH_DO_DIR` chooses another
 * root). On this shared VM's disk, SQLite's syncs made each claim wait on the other sessions' I/O (about 20
 * webhooks/s instead of hundreds), which is not the Worker's cost.
 */
export function durableObjectDir(name: string): string {
  const root =
    process.env.BENCH_DO_DIR ?? (existsSync("/dev/shm") ? "/dev/shm" : join(ROOT, ".tmp", "bench"));
  return join(root, `flows-bench-${name}-${process.pid}-${Date.now()}`);
}

/** Whether a process exists (a zombie counts as gone). */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

const tasksetWorks = (() => {
  let works: boolean | undefined;
  return (): boolean => {
    if (works === undefined) {
      try {
        execFileSync("taskset", ["-c", "0", "true"], { stdio: "ignore" });
        works = true;
      } catch {
        works = false;
      }
    }
    return works;
  };
})();

/**
 * Serves a bundle with `workerd serve <generated config>`, no Miniflare: workerd is started in a session of its
 * own (`setsid`) through `taskset -c <cpus>`, which execs it, so the pid is workerd's own; it reports its port
 * on a control pipe (`--control-fd`). Fails, with workerd's stderr, when it exits or does not listen in time.
 * @example const server = await serveWithWorkerd({ bundle, dir, cpus: "0" }); ...; await server.stop()
 */
export async function serveWithWorkerd(options: WorkerdServeOptions): Promise<WorkerdServer> {
  mkdirSync(options.dir, { recursive: true });
  if (options.durableObjects && Object.keys(options.durableObjects).length > 0)
    mkdirSync(join(options.dir, "objects"), { recursive: true });
  const config = join(options.dir, `${basename(options.bundle, ".mjs")}.capnp`);
  writeFileSync(config, workerdConfig(options));
  const pinned = options.cpus !== undefined && tasksetWorks();
  const command = [WORKERD, "serve", config, "--control-fd=3"];
  const spawnedAt = performance.now();
  const child = spawn(
    pinned ? "taskset" : command[0]!,
    pinned ? ["-c", options.cpus!, ...command] : command.slice(1),
    {
      detached: true,
      stdio: ["ignore", "ignore", "pipe", "pipe"],
      cwd: dirname(config),
    },
  );
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start ${WORKERD}`);
  let stderr = "";
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => {
    if (stderr.length < 8_000) stderr += chunk;
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const stop = async (): Promise<void> => {
    try {
      process.kill(-pid, "SIGKILL");
    } catch {
      // Already gone.
    }
    await exited;
    while (alive(pid)) await new Promise((r) => setTimeout(r, 10));
  };
  try {
    const port = await new Promise<number>((resolve, reject) => {
      const bound = options.startMs ?? 30_000;
      const timer = setTimeout(() => reject(new Error(`workerd did not listen within ${bound} ms`)), bound);
      let buffered = "";
      const control = child.stdio[3] as NodeJS.ReadableStream;
      control.setEncoding("utf8");
      control.on("data", (chunk: string) => {
        buffered += chunk;
        for (let nl = buffered.indexOf("\n"); nl >= 0; nl = buffered.indexOf("\n")) {
          const line = buffered.slice(0, nl);
          buffered = buffered.slice(nl + 1);
          const message = JSON.parse(line) as { event?: string; socket?: string; port?: number };
          if (message.event === "listen" && message.socket === "http" && message.port) {
            clearTimeout(timer);
            resolve(message.port);
          }
        }
      });
      child.once("exit", (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`workerd exited (${code ?? signal}) before listening: ${stderr.trim()}`));
      });
    });
    const listeningAt = performance.now();
    const name = readFileSync(`/proc/${pid}/comm`, "utf8").trim();
    if (!name.startsWith("workerd")) throw new Error(`pid ${pid} is ${name}, not workerd`);
    return { url: `http://127.0.0.1:${port}/`, port, pid, pinned, spawnedAt, listeningAt, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Runs `node` with `args`, pinned to `cpus` when taskset works: the command and its arguments for `spawn`. */
export function pinnedCommand(cpus: string, command: string, args: readonly string[]): [string, string[]] {
  return tasksetWorks() ? ["taskset", ["-c", cpus, command, ...args]] : [command, [...args]];
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
  // Loaded here, not at the top: the load process (`load-process.ts`) imports this module and needs no Miniflare.
  const { convertV4MiniflareOptions, Miniflare } = await import("miniflare");
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
