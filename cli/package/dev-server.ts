import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, type FSWatcher, watch } from "node:fs";
import { readFile, rm, stat, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { CONFIG_FILE } from "./config.ts";
import { type PackageInvalid, type PackageResult, packageWorkers } from "./index.ts";
import { wranglerBin } from "./wrangler.ts";

/** Wrangler's file of local secrets and vars; `flows dev` copies the ones beside the flows next to the config. */
export const DEV_VARS = ".dev.vars";

export interface DevOptions {
  /** Port (default 8787) and address (default 127.0.0.1) to serve on. */
  port?: number;
  ip?: string;
  /** Where the package is written (default `.flows/dev`). */
  out?: string;
  /** Local state of KV, R2, Queues and Durable Objects (default `.wrangler/state`, kept across rebuilds). */
  persistTo?: string;
  /** Wait after the last file change before rebuilding, ms (default 150). */
  debounceMs?: number;
  /** Output of wrangler and of the rebuilds. */
  log: (text: string) => void;
  /** Called after each build: the package, or the diagnostics of an invalid flow (the old Worker keeps serving). */
  onBuild?: (result: PackageResult | PackageInvalid | Error) => void;
}

export interface DevServer {
  readonly url: string;
  /** The process id of wrangler, and of its process group (workerd included). */
  readonly pid: number | undefined;
  /** Resolves when wrangler exits (its exit code). */
  readonly exited: Promise<number>;
  /** Number of builds so far (the first included). */
  builds(): number;
  /** Stops watching, ends wrangler's whole process group, and waits for it. */
  stop(): Promise<void>;
}

/**
 * The `.dev.vars` files beside the flows: in each directory given, and in each directory holding a flow file
 * (so that `flows dev examples` reads `examples/<app>/.dev.vars`). Outer directories first, so that a file
 * nearer the flows wins on a duplicate name (wrangler keeps the last value).
 */
export async function devVarsFiles(
  paths: readonly string[],
  flowFiles: readonly string[],
): Promise<string[]> {
  const dirs = new Set<string>();
  for (const path of paths) {
    const info = await stat(path).catch(() => undefined);
    dirs.add(resolve(info?.isDirectory() ? path : dirname(path)));
  }
  for (const file of flowFiles) dirs.add(resolve(dirname(file)));
  return [...dirs]
    .sort((a, b) => a.length - b.length || (a < b ? -1 : 1))
    .map((dir) => join(dir, DEV_VARS))
    .filter((file) => existsSync(file));
}

/** Packages the flows for local serving (not minified) and puts the `.dev.vars` beside the config. */
export async function buildForDev(
  paths: readonly string[],
  out: string,
): Promise<PackageResult | PackageInvalid> {
  const result = await packageWorkers(paths, { out, minify: false, plan: "paid", viewer: "record-all" });
  if (!result.ok) return result;
  const vars = await devVarsFiles(
    paths,
    result.flows.map((f) => f.file),
  );
  const target = join(result.out, DEV_VARS);
  if (vars.length === 0) await rm(target, { force: true });
  else {
    const texts = await Promise.all(vars.map((file) => readFile(file, "utf8")));
    await writeFile(target, texts.map((t) => (t.endsWith("\n") ? t : `${t}\n`)).join(""));
  }
  return result;
}

/** Sends a signal to a process group; false when it is gone. */
function signalGroup(group: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-group, signal);
    return true;
  } catch {
    return false;
  }
}

const groupAlive = (group: number): boolean => signalGroup(group, 0);

async function waitUntilServing(url: string, exited: Promise<number>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let done = false;
  void exited.then(() => {
    done = true;
  });
  while (Date.now() < deadline) {
    if (done) throw new Error("wrangler dev exited before serving");
    const ok = await fetch(new URL("/_flows/health", url), { signal: AbortSignal.timeout(2000) })
      .then((r) => r.status === 200)
      .catch(() => false);
    if (ok) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`wrangler dev did not serve ${url} within ${timeoutMs / 1000} s`);
}

/**
 * `flows dev`: packages the flows into `out`, serves them with `wrangler dev` (workerd with local KV, R2, Queues
 * and Durable Objects, persisted in `persistTo`), and packages again on every change of a flow file or
 * `.dev.vars` (debounced); wrangler reloads the Worker when its bundle or config changes. An invalid flow is
 * reported and the last good Worker keeps serving. Throws when the first build fails (the result says why).
 */
export async function startDev(paths: readonly string[], options: DevOptions): Promise<DevServer> {
  const out = resolve(options.out ?? ".flows/dev");
  const ip = options.ip ?? "127.0.0.1";
  const port = options.port ?? 8787;
  const first = await buildForDev(paths, out);
  options.onBuild?.(first);
  if (!first.ok) throw Object.assign(new Error("the flows are invalid"), { result: first });
  let builds = 1;
  const args = [
    wranglerBin("flows dev"),
    "dev",
    "--config",
    join(out, CONFIG_FILE),
    "--ip",
    ip,
    "--port",
    String(port),
    "--persist-to",
    resolve(options.persistTo ?? ".wrangler/state"),
    "--show-interactive-dev-session=false",
  ];
  // Its own process group (setsid), so that stopping ends wrangler and the workerd it started.
  const child: ChildProcess = spawn(process.execPath, args, {
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, WRANGLER_SEND_METRICS: process.env.WRANGLER_SEND_METRICS ?? "false" },
  });
  child.stdout?.on("data", (chunk: Buffer) => options.log(chunk.toString("utf8")));
  child.stderr?.on("data", (chunk: Buffer) => options.log(chunk.toString("utf8")));
  const exited = new Promise<number>((resolveExit) => child.on("exit", (code) => resolveExit(code ?? 0)));

  let timer: ReturnType<typeof setTimeout> | undefined;
  let building: Promise<void> = Promise.resolve();
  const rebuild = () => {
    building = building.then(async () => {
      const result = await buildForDev(paths, out).catch((error: unknown) =>
        error instanceof Error ? error : new Error(String(error)),
      );
      builds++;
      options.onBuild?.(result);
    });
  };
  const changed = (file: string | null) => {
    if (file && !/\.(ya?ml|json)$|\.dev\.vars$/.test(file)) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(rebuild, options.debounceMs ?? 150);
  };
  const watchers: FSWatcher[] = [];
  for (const path of paths) {
    const info = await stat(path);
    if (info.isDirectory()) watchers.push(watch(path, { recursive: true }, (_e, file) => changed(file)));
    else {
      const name = path.split(/[\\/]/).pop() ?? path;
      watchers.push(
        watch(dirname(path), (_e, file) => {
          if (file === name || file === DEV_VARS) changed(file);
        }),
      );
    }
  }

  const stop = async () => {
    for (const w of watchers) w.close();
    if (timer) clearTimeout(timer);
    await building;
    const group = child.pid;
    if (group === undefined) return;
    signalGroup(group, "SIGTERM");
    // Wait for the whole group (wrangler and the workerd it started), then kill what is left.
    const deadline = Date.now() + 5000;
    while (groupAlive(group) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    if (groupAlive(group)) signalGroup(group, "SIGKILL");
    await exited;
  };
  const url = `http://${ip.includes(":") ? `[${ip}]` : ip}:${port}`;
  try {
    await waitUntilServing(url, exited, 90_000);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, pid: child.pid, exited, builds: () => builds, stop };
}
