import type { Command } from "commander";
import { colorsFor } from "../color.ts";
import { UsageError } from "../files.ts";
import { type DevServer, startDev } from "../package/dev-server.ts";
import { scheduledUrl } from "../package/dev-worker.ts";
import { PackageError } from "../package/errors.ts";
import { formatBytes } from "../package/limits.ts";
import { formatReport } from "../report.ts";
import type { CommandIO } from "./io.ts";

export interface DevCommandOptions {
  port?: string;
  ip?: string;
  out?: string;
  persistTo?: string;
}

/**
 * `flows dev <paths...>`: serves the flows until SIGINT/SIGTERM (exit 0), rebuilding on change. Exit 1 when the
 * flows are invalid at start, 2 on a usage error (or an --out another `flows dev` uses), 3 when they cannot be
 * packaged.
 */
export async function runDev(
  paths: readonly string[],
  options: DevCommandOptions,
  io: CommandIO,
): Promise<number> {
  const port = Number(options.port ?? process.env.PORT ?? 8787);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError(`--port must be a port number, not ${options.port}`);
  const c = colorsFor(io.stdout);
  let server: DevServer;
  let serving = false;
  try {
    server = await startDev(paths, {
      port,
      ...(options.ip ? { ip: options.ip } : {}),
      ...(options.out ? { out: options.out } : {}),
      ...(options.persistTo ? { persistTo: options.persistTo } : {}),
      log: io.err,
      onBuild: (result) => {
        if (result instanceof PackageError) io.err(`${c.red(`error[${result.code}]`)} ${result.message}\n`);
        else if (result instanceof Error) io.err(`${c.red("error")} ${result.message}\n`);
        else if (!result.ok) {
          const texts = new Map(result.sources.map((s) => [s.file, s.text]));
          io.err(
            `${formatReport(result.validation, texts, c)}\n${serving ? c.yellow("still serving the last valid flows\n") : ""}`,
          );
        } else {
          io.out(
            `${c.green("✓")} packaged ${result.flows.length} flows (${formatBytes(result.bundle.gzip)} gzipped) into ${result.out}\n`,
          );
        }
      },
    });
  } catch (error) {
    if (error instanceof PackageError) {
      io.err(`${c.red(c.bold(`error[${error.code}]`))} ${error.message}\n`);
      return error.exitCode;
    }
    if ((error as { result?: { ok: boolean } }).result?.ok === false) return 1;
    throw error;
  }
  serving = true;
  io.out(
    `${c.bold("flows dev")} serving on ${c.cyan(server.url)} (GET /_flows/health lists the flows); watching ${paths.join(", ")}\n`,
  );
  io.out(`run viewer: ${c.cyan(server.viewerUrl)}\n`);
  for (const cron of server.crons())
    io.out(`  cron "${cron}" fires with: curl ${c.cyan(`'${scheduledUrl(server.url, cron)}'`)}\n`);
  const signalled = new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  await signalled;
  await server.stop();
  return 0;
}

/** Adds `dev` to the program. */
export function registerDev(program: Command, io: CommandIO): void {
  program
    .command("dev")
    .description(
      "package flows and serve them locally on workerd (Miniflare: local KV, R2, Queues, Durable Objects), rebuilding on change",
    )
    .argument("<paths...>", "flow files, or directories searched recursively for flows (and their .dev.vars)")
    .option("--port <port>", "port to serve on (default: $PORT, else 8787)")
    .option("--ip <address>", "address to bind", "127.0.0.1")
    .option("--out <dir>", "where the package is written (default: .flows/dev/<port>)")
    .option("--persist-to <dir>", "local state of the bindings, kept across rebuilds", ".wrangler/state")
    .addHelpText(
      "after",
      "\nA cron flow fires with GET /cdn-cgi/local/scheduled?cron=<schedule, url-encoded> (the commands are printed at start).\nExit codes: 0 stopped by SIGINT/SIGTERM, 1 invalid flows at start, 2 usage error (also: --out used by another flows dev), 3 could not package.",
    )
    .action(async (paths: string[], options: DevCommandOptions) => {
      io.setExitCode(await runDev(paths, options, io));
    });
}
