import type { Command } from "commander";
import { colorsFor } from "../color.ts";
import { UsageError } from "../files.ts";
import { BUNDLE_FILE } from "../package/config.ts";
import { PackageError } from "../package/errors.ts";
import { type PackageResult, type PackageStep, packageWorkers } from "../package/index.ts";
import { formatBytes, type Plan, parseSize } from "../package/limits.ts";
import { runWrangler } from "../package/wrangler.ts";
import { formatReport, jsonReport } from "../report.ts";
import { type CommandIO, reportStream } from "./io.ts";

export type { CommandIO };

export interface PackageCommandOptions {
  out: string;
  name?: string;
  budget?: string;
  plan?: string;
  route?: string[];
  config?: string;
  deploy?: boolean;
  dryRun?: boolean;
  json?: boolean;
  minify?: boolean;
  viewer?: boolean;
  logSampling?: string;
  traceSampling?: string;
  observability?: boolean;
}

/** A sampling rate option: a number from 0 to 1, else a usage error. */
function samplingRate(option: string, value: string): number {
  const rate = /^(0(\.\d+)?|1(\.0+)?|\.\d+)$/.test(value) ? Number(value) : Number.NaN;
  if (!(rate >= 0 && rate <= 1))
    throw new UsageError(`${option} must be a share of invocations from 0 to 1, such as 0.1, not ${value}`);
  return rate;
}

const STEP_LABELS: Record<PackageStep, string> = {
  read: "reading flow files",
  validate: "validating",
  write: "writing the package",
  bundle: "bundling with esbuild",
};

export const PACKAGE_EXIT_CODES = `Exit codes:
  0  packaged (and deployed, with --deploy)
  1  a flow is invalid (diagnostics as \`flows validate\` prints them); nothing was written
  2  usage error: a missing path, no flows found, a bad option
  3  the package could not be made: PACKAGE_OUT_DIR, PACKAGE_CONFIG_INVALID, PACKAGE_CONFIG_TOML, PACKAGE_BINDING_CONFLICT, PACKAGE_UNKNOWN_DO_CLASS,
     PACKAGE_BUNDLE_FAILED, PACKAGE_BUDGET_EXCEEDED, PACKAGE_SUBREQUESTS_EXCEEDED
  4  PACKAGE_DEPLOY_FAILED: \`wrangler deploy\` (or its --dry-run) failed`;

/** Milliseconds as the report prints them: `61.599999999999994` → `62 ms`, `0.4` → `0.4 ms`. */
export const formatMs = (ms: number): string => `${ms < 10 ? Math.round(ms * 10) / 10 : Math.round(ms)} ms`;

function humanSummary(result: PackageResult, io: CommandIO): string {
  const c = colorsFor(reportStream(io));
  const ms = (n: number) => c.dim(`(${formatMs(n)})`);
  const lines = [
    `${c.green("✓")} validated ${result.flows.length} flow${result.flows.length === 1 ? "" : "s"}: ${result.flows.map((f) => f.id).join(", ")} ${ms(result.timings.read + result.timings.validate)}`,
    `${c.green("✓")} wrote ${result.files.filter((f) => f !== BUNDLE_FILE).join(", ")} ${ms(result.timings.write)}`,
    `  wrangler config ${result.config.path}: ${result.config.created ? "new" : result.config.added.length > 0 ? `added ${result.config.added.join("; ")}` : "has everything the flows need, unchanged"}`,
    `${c.green("✓")} bundled ${BUNDLE_FILE}: ${c.bold(formatBytes(result.bundle.raw))}, ${c.bold(formatBytes(result.bundle.gzip))} gzipped (budget ${formatBytes(result.bundle.budget)}) ${ms(result.timings.bundle)}`,
    `  largest parts (minified): ${result.bundle.largest.map((l) => `${l.name} ${formatBytes(l.bytes)}`).join(", ")}`,
    `  capabilities: ${result.capabilities.join(", ") || "none"}`,
    `  subrequests per run (${result.plan} plan, at most ${result.subrequests[0]?.limit ?? 0}): ${result.subrequests.map((s) => `${s.flowId} ${s.count}${s.unbounded ? "+" : ""}`).join(", ")}`,
    ...[...result.config.notes, ...result.warnings].map((w) => `${c.yellow("warning:")} ${w}`),
  ];
  const total = Object.values(result.timings).reduce((a, b) => a + b, 0);
  lines.push(`packaged Worker ${c.bold(result.name)} into ${result.out} in ${formatMs(total)}`);
  return `${lines.join("\n")}\n`;
}

/**
 * `flows package workers <paths...> --out <dir>`: returns the exit code (see PACKAGE_EXIT_CODES). Throws
 * UsageError (exit 2).
 */
export async function runPackage(
  paths: readonly string[],
  options: PackageCommandOptions,
  io: CommandIO,
): Promise<number> {
  const plan = (options.plan ?? "free") as Plan;
  if (plan !== "free" && plan !== "paid")
    throw new UsageError(`--plan must be free or paid, not ${options.plan}`);
  let budget: number | undefined;
  if (options.budget !== undefined) {
    budget = parseSize(options.budget);
    if (budget === undefined)
      throw new UsageError(`--budget must be a size such as 150kb or 3mb, not ${options.budget}`);
  }
  if (options.observability === false && (options.logSampling ?? options.traceSampling) !== undefined)
    throw new UsageError(
      "--no-observability leaves logs and traces off: drop --log-sampling and --trace-sampling",
    );
  const observability =
    options.observability === false
      ? false
      : {
          ...(options.logSampling !== undefined
            ? { logSampling: samplingRate("--log-sampling", options.logSampling) }
            : {}),
          ...(options.traceSampling !== undefined
            ? { traceSampling: samplingRate("--trace-sampling", options.traceSampling) }
            : {}),
        };
  const tty = reportStream(io).isTTY === true && !options.json;
  const c = colorsFor(reportStream(io));
  const progress = (step: PackageStep) => {
    if (tty) io.err(`\r\u001b[2K${c.dim(`… ${STEP_LABELS[step]}`)}`);
  };
  const clear = () => {
    if (tty) io.err("\r\u001b[2K");
  };
  const fail = (error: PackageError): number => {
    clear();
    if (options.json) {
      io.out(
        `${JSON.stringify({ ok: false, error: { code: error.code, message: error.message, details: error.details } }, null, 2)}\n`,
      );
    } else {
      io.err(`${c.red(c.bold(`error[${error.code}]`))} ${error.message}\n`);
    }
    return error.exitCode;
  };
  let result: Awaited<ReturnType<typeof packageWorkers>>;
  try {
    result = await packageWorkers(paths, {
      out: options.out,
      plan,
      ...(options.name ? { name: options.name } : {}),
      ...(budget !== undefined ? { budget } : {}),
      ...(options.route ? { routes: options.route } : {}),
      ...(options.config ? { config: options.config } : {}),
      minify: options.minify !== false,
      ...(options.viewer ? { viewer: "on" as const } : {}),
      observability,
      onStep: progress,
    });
  } catch (error) {
    if (error instanceof PackageError) return fail(error);
    clear();
    throw error;
  }
  clear();
  if (!result.ok) {
    if (options.json) io.out(`${jsonReport(result.validation)}\n`);
    else {
      const texts = new Map(result.sources.map((s) => [s.file, s.text]));
      io.err(`${formatReport(result.validation, texts, c)}\n`);
    }
    return 1;
  }
  let deploy: { dryRun: boolean; code: number; output: string } | undefined;
  if (!options.json) io.err(humanSummary(result, io));
  if (options.deploy || options.dryRun) {
    const args = ["deploy", "--config", result.config.path, ...(options.dryRun ? ["--dry-run"] : [])];
    if (!options.json) io.err(c.dim(`$ wrangler ${args.join(" ")}\n`));
    const run = await runWrangler(args, options.json ? {} : { onOutput: io.err });
    deploy = { dryRun: options.dryRun === true, ...run };
    if (run.code !== 0) {
      const error = new PackageError(
        "PACKAGE_DEPLOY_FAILED",
        `wrangler deploy${options.dryRun ? " --dry-run" : ""} exited with ${run.code}: see its output above`,
        { exitCode: run.code, output: options.json ? run.output : undefined },
      );
      return fail(error);
    }
  }
  if (options.json) io.out(`${JSON.stringify({ ...result, ...(deploy ? { deploy } : {}) }, null, 2)}\n`);
  return 0;
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** Adds `package workers` to the program. */
export function registerPackage(program: Command, io: CommandIO): void {
  const pkg = program
    .command("package")
    .description("package flows for a platform (see `flows package workers`)");
  pkg
    .command("workers")
    .description(
      "validate flows, then write a Cloudflare Worker into --out: wrangler.jsonc, entry.js, flows.json and the esbuild bundle worker.js",
    )
    .argument("<paths...>", "flow files, or directories searched recursively for flows")
    .requiredOption("-o, --out <dir>", "the output directory (created if missing)")
    .option("--name <name>", "the Worker's name (default: from the first path)")
    .option(
      "--plan <plan>",
      "Workers plan whose limits apply: free (3 MB gzip, 50 subrequests) or paid (10 MB, 1000)",
      "free",
    )
    .option(
      "--budget <size>",
      "fail when the gzipped bundle is larger, e.g. 150kb (default: the plan's limit)",
    )
    .option(
      "--route <pattern>",
      "a Workers route (hostname pattern, e.g. example.com/*); repeatable",
      collect,
    )
    .option(
      "--config <file>",
      "your wrangler.jsonc or wrangler.json: what the flows need is added, everything else kept (default: <out>/wrangler.jsonc)",
    )
    .option("--no-minify", "keep the bundle readable")
    .option(
      "--viewer",
      "serve the run viewer at /_flows/ (off by default: it starts runs with the Worker's bindings)",
    )
    .option(
      "--log-sampling <rate>",
      "the share of invocations Workers Logs keeps, 0 to 1 (default 1: every run's log line)",
    )
    .option("--trace-sampling <rate>", "turn on Workers traces for this share of invocations, 0 to 1")
    .option("--no-observability", "write no observability settings (logs and traces off)")
    .option("--deploy", "then run `wrangler deploy --config <the config>`")
    .option("--dry-run", "then run `wrangler deploy --dry-run` (checks the package without uploading)")
    .option(
      "--json",
      "print one JSON object: the package (files, sizes, subrequests, timings) or { ok: false, error }",
    )
    .addHelpText("after", `\n${PACKAGE_EXIT_CODES}`)
    .action(async (paths: string[], options: PackageCommandOptions) => {
      io.setExitCode(await runPackage(paths, options, io));
    });
}
