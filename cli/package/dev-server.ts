import { randomBytes } from "node:crypto";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { ADMIN_TOKEN_BINDING, MIN_ADMIN_TOKEN_LENGTH } from "../../hosts/workers/viewer/auth.ts";
import { UsageError } from "../files.ts";
import { type DevFront, serveDevFront } from "./dev-front.ts";
import { bundleQueueSender, queueSenderOptions } from "./dev-queues.ts";
import { DEV_VARS, devVarsFiles, devVarsValue } from "./dev-vars.ts";
import { watchFlows } from "./dev-watch.ts";
import { devWorker, importMiniflare } from "./dev-worker.ts";
import { type PackageInvalid, type PackageResult, packageWorkers } from "./index.ts";

export { DEV_VARS, devVarsFiles } from "./dev-vars.ts";

export interface DevOptions {
  /** Port (default 8787) and address (default 127.0.0.1) to serve on. */
  port?: number;
  ip?: string;
  /** Where the package is written (default `.flows/dev/<port>`); one `flows dev` at a time uses it. */
  out?: string;
  /** Local state of KV, R2, Queues and Durable Objects (default `.wrangler/state`, kept across rebuilds). */
  persistTo?: string;
  /** Wait after the last file change before rebuilding, ms (default 150). */
  debounceMs?: number;
  /** Output of workerd (the Worker's logs, one line per request) and of the rebuilds. */
  log: (text: string) => void;
  /** Called after each build: the package, or the diagnostics of an invalid flow (the old Worker keeps serving). */
  onBuild?: (result: PackageResult | PackageInvalid | Error) => void;
}

export interface DevServer {
  readonly url: string;
  /** The run viewer with its token in the fragment (`<url>/_flows/#token=…`), to open in a browser. */
  readonly viewerUrl: string;
  /** Resolves when the server has stopped (0). */
  readonly exited: Promise<number>;
  /** Number of builds so far (the first included). */
  builds(): number;
  /** The cron schedules of the Worker being served (fire one with `scheduledUrl(url, cron)`). */
  crons(): string[];
  /** Stops watching and serving, ends workerd, and waits for it. */
  stop(): Promise<void>;
}

/** The file in the output directory naming the process of the `flows dev` that uses it. */
export const DEV_LOCK = ".flows-dev.pid";

/** The output directories this process holds. */
const claimed = new Set<string>();

const processAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
};

/**
 * Takes the output directory for this process; a UsageError when another live `flows dev` holds it (two of them
 * writing one directory would serve each other's flows). Returns the release.
 */
export async function claimOutDir(out: string): Promise<() => Promise<void>> {
  const busy = (holder: number) =>
    new UsageError(
      `${out} is used by another \`flows dev\` (process ${holder}): give this one its own --out`,
    );
  if (claimed.has(out)) throw busy(process.pid);
  await mkdir(out, { recursive: true });
  const lock = join(out, DEV_LOCK);
  for (;;) {
    try {
      await writeFile(lock, String(process.pid), { flag: "wx" });
      claimed.add(out);
      return async () => {
        claimed.delete(out);
        await rm(lock, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const holder = Number((await readFile(lock, "utf8").catch(() => "")).trim());
    if (holder > 0 && holder !== process.pid && processAlive(holder)) throw busy(holder);
    await rm(lock, { force: true });
  }
}

/** The last `FLOWS_ADMIN_TOKEN` a `.dev.vars` text sets (dotenv syntax, quoted or not), if any. */
export const devVarsToken = (text: string): string | undefined => devVarsValue(text, ADMIN_TOKEN_BINDING);

/** A fresh viewer token for `flows dev`: 24 random bytes, base64url (32 characters). */
export const generateViewerToken = (): string => randomBytes(24).toString("base64url");

/**
 * Packages the flows for local serving (not minified, the viewer on and recording every run) and puts the
 * `.dev.vars` beside the config, adding `FLOWS_ADMIN_TOKEN=<token>` when none of them sets the viewer's token.
 * Answers the token the viewer takes (`token`, or the user's).
 */
export async function buildForDev(
  paths: readonly string[],
  out: string,
  log?: (text: string) => void,
  token: string = generateViewerToken(),
  projectDir: string = process.cwd(),
): Promise<(PackageResult & { viewerToken: string }) | PackageInvalid> {
  const result = await packageWorkers(paths, { out, minify: false, plan: "paid", viewer: "record-all" });
  if (!result.ok) return result;
  const vars = await devVarsFiles(
    paths,
    result.flows.map((f) => f.file),
    projectDir,
  );
  if (vars.length > 0) log?.(`bindings from ${vars.join(", ")}\n`);
  const texts = await Promise.all(vars.map((file) => readFile(file, "utf8")));
  let text = texts.map((t) => (t.endsWith("\n") ? t : `${t}\n`)).join("");
  const own = devVarsToken(text);
  if (own !== undefined && own.length < MIN_ADMIN_TOKEN_LENGTH)
    log?.(
      `warning: ${ADMIN_TOKEN_BINDING} in .dev.vars is shorter than ${MIN_ADMIN_TOKEN_LENGTH} characters: the run viewer and the run API refuse it (503 RUNS_NOT_CONFIGURED) until it is longer\n`,
    );
  if (own === undefined)
    text += `# The run viewer's token, written by flows dev (none was in .dev.vars)\n${ADMIN_TOKEN_BINDING}=${token}\n`;
  await writeFile(join(result.out, DEV_VARS), text);
  return { ...result, viewerToken: own ?? token };
}

/**
 * `flows dev`: packages the flows into `out` and serves them on workerd through Miniflare (local KV, R2, Queues
 * and Durable Objects, persisted in `persistTo`, the layout `wrangler dev` uses), behind a TCP front that turns a
 * client's disconnect into a cancelled run (`dev-front.ts`). Every change of a flow file or `.dev.vars`
 * (debounced) packages again and hands Miniflare the new bundle, config and `.dev.vars` at once; an invalid flow
 * is reported and the last good Worker keeps serving. Throws when the first build fails (the result says why),
 * and a UsageError when another `flows dev` uses `out`.
 */
export async function startDev(paths: readonly string[], options: DevOptions): Promise<DevServer> {
  const ip = options.ip ?? "127.0.0.1";
  const port = options.port ?? 8787;
  const out = resolve(options.out ?? join(".flows", "dev", String(port)));
  const persistTo = resolve(options.persistTo ?? join(".wrangler", "state"));
  const release = await claimOutDir(out);
  const cleanups: (() => Promise<void>)[] = [release];
  const cleanup = async () => {
    for (const step of cleanups.splice(0).reverse()) await step().catch(() => {});
  };
  try {
    let upstreamPort = 0;
    const front: DevFront = await serveDevFront(ip, port, () => upstreamPort).catch((error: unknown) => {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "EADDRINUSE" || code === "EACCES" || code === "EADDRNOTAVAIL")
        throw new UsageError(`cannot serve on ${ip}:${port} (${code}): choose another --port or --ip`);
      throw error;
    });
    cleanups.push(() => front.close());
    // One viewer token for the whole session: the page keeps working across rebuilds.
    const token = generateViewerToken();
    // The project's own `.dev.vars` is where `wrangler dev` reads it: the working directory, as `out` and `persistTo`.
    const projectDir = process.cwd();
    const first = await buildForDev(paths, out, options.log, token, projectDir);
    options.onBuild?.(first);
    if (!first.ok) throw Object.assign(new Error("the flows are invalid"), { result: first });
    let viewerToken = first.viewerToken;
    const queueSender = await bundleQueueSender(out);

    const { Log, LogLevel, Miniflare, convertV4MiniflareOptions } = await importMiniflare();
    class DevLog extends Log {
      protected override log(message: string): void {
        options.log(`${message}\n`);
      }
      // Miniflare's "Ready on" names its internal socket, not the one `flows dev` serves on.
      override logReady(): void {}
    }
    const log = new DevLog(LogLevel.INFO);
    let crons: string[] = [];
    const miniflareOptions = async () => {
      const worker = await devWorker(out);
      crons = worker.crons;
      return convertV4MiniflareOptions({
        host: "127.0.0.1",
        port: 0,
        cf: false,
        log,
        logRequests: true,
        // The Worker's console output (the run lines) goes where workerd's own output goes.
        handleStructuredLogs: ({ message }: { message: string }) => options.log(`${message}\n`),
        // `/cdn-cgi/local/scheduled?cron=...` fires the Worker's scheduled handler (see `scheduledUrl`).
        unsafeTriggerHandlers: true,
        resourcePersistencePath: join(persistTo, "v3"),
        workers: [worker.options, queueSenderOptions(queueSender, worker.options, viewerToken)],
      } as unknown as Parameters<typeof convertV4MiniflareOptions>[0]);
    };
    // Miniflare's exit hook answers SIGINT, SIGTERM and SIGHUP with `process.exit(128 + n)` before `flows dev`
    // could stop cleanly (exit 0): its signal listeners go, its `exit` listener (which ends workerd) stays, and
    // signals are the caller's (`runDev` stops the server on them).
    const signals = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
    const before = new Map(signals.map((signal) => [signal, new Set(process.listeners(signal))]));
    const mf = new Miniflare(await miniflareOptions());
    for (const signal of signals)
      for (const listener of process.listeners(signal))
        if (!before.get(signal)?.has(listener)) process.removeListener(signal, listener);
    cleanups.push(() => mf.dispose());
    upstreamPort = Number((await mf.ready).port);

    let builds = 1;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let building: Promise<void> = Promise.resolve();
    const rebuild = () => {
      building = building.then(async () => {
        const result = await buildForDev(paths, out, options.log, token, projectDir).catch(
          (error: unknown) => (error instanceof Error ? error : new Error(String(error))),
        );
        builds++;
        if (!(result instanceof Error) && result.ok) {
          viewerToken = result.viewerToken;
          try {
            await mf.setOptions(await miniflareOptions());
            upstreamPort = Number((await mf.ready).port);
          } catch (error) {
            options.onBuild?.(error instanceof Error ? error : new Error(String(error)));
            return;
          }
        }
        options.onBuild?.(result);
      });
    };
    const watcher = await watchFlows([...paths, join(projectDir, DEV_VARS)], () => {
      if (timer) clearTimeout(timer);
      timer = setTimeout(rebuild, options.debounceMs ?? 150);
    });
    cleanups.push(async () => {
      watcher.close();
      if (timer) clearTimeout(timer);
      await building;
    });

    let stopped: (code: number) => void = () => {};
    const exited = new Promise<number>((resolveExit) => {
      stopped = resolveExit;
    });
    const url = `http://${ip.includes(":") ? `[${ip}]` : ip}:${front.port}`;
    return {
      url,
      viewerUrl: `${url}/_flows/#token=${encodeURIComponent(first.viewerToken)}`,
      exited,
      builds: () => builds,
      crons: () => [...crons],
      stop: async () => {
        await cleanup();
        stopped(0);
      },
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}
