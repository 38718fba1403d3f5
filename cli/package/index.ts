import { writeFile } from "node:fs/promises";
import { basename, join, resolve } from "node:path";
import { CAPABILITY_DECLARATIONS } from "../../capabilities/declarations.ts";
import { type FlowSource, type ValidationResult, validateFlows } from "../../flows/index.ts";
import { defaultCatalog } from "../catalog.ts";
import { readFlowFiles } from "../files.ts";
import { analyzeFlows, type FlowsAnalysis } from "./analyze.ts";
import { bundle } from "./bundle.ts";
import { BUNDLE_FILE, CONFIG_FILE, ENTRY_FILE, FLOWS_FILE, renderConfig, wranglerConfig } from "./config.ts";
import { entryModule, type ViewerMode } from "./entry.ts";
import { PackageError } from "./errors.ts";
import { formatBytes, PLAN_LIMITS, type Plan } from "./limits.ts";
import { stage } from "./staging.ts";

export interface PackageOptions {
  out: string;
  /** The Worker's name; default from the first path (`examples/s3_workers_echo` → `s3-workers-echo`). */
  name?: string;
  plan?: Plan;
  /** Gzipped bundle budget in bytes; default the plan's Worker size limit. */
  budget?: number;
  routes?: readonly string[];
  /** Minify the bundle (default true; `flows dev` turns it off for readable stack traces). */
  minify?: boolean;
  /**
   * The run viewer at `/_flows/` (hosts.md, "Run viewer"): `off` by default in a package (the page starts runs
   * with the Worker's bindings); `on` with `--viewer`; `record-all` for `flows dev` (any run can be followed).
   */
  viewer?: ViewerMode;
  /** Called as each step starts (progress output). */
  onStep?: (step: PackageStep) => void;
}

export type PackageStep = "read" | "validate" | "write" | "bundle";

export interface PackageResult {
  ok: true;
  out: string;
  name: string;
  plan: Plan;
  /** The files written, relative to `out`. */
  files: string[];
  flows: { id: string; file: string }[];
  capabilities: string[];
  bundle: { raw: number; gzip: number; budget: number; largest: { name: string; bytes: number }[] };
  subrequests: (FlowsAnalysis["subrequests"][number] & { limit: number })[];
  warnings: string[];
  /** Milliseconds per step. */
  timings: Record<PackageStep, number>;
}

/** Validation failed: nothing was written. */
export interface PackageInvalid {
  ok: false;
  sources: FlowSource[];
  validation: ValidationResult;
}

/** A Worker name from a path: lowercase letters, digits and dashes. */
export function workerName(path: string): string {
  const base = basename(resolve(path)).replace(/\.(ya?ml|json)$/i, "");
  const name = base
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 63);
  return name || "flows";
}

const since = (start: number): number => Math.round((performance.now() - start) * 10) / 10;

/**
 * `flows package workers`: validates the flows (nothing is written when one is invalid), then writes into
 * `options.out` the wrangler config, the entry module, the compiled flows and the esbuild bundle, and checks the
 * bundle's gzipped size and each flow's subrequests against the plan. Throws UsageError (missing path) or
 * PackageError (coded).
 */
export async function packageWorkers(
  paths: readonly string[],
  options: PackageOptions,
): Promise<PackageResult | PackageInvalid> {
  const timings: Record<PackageStep, number> = { read: 0, validate: 0, write: 0, bundle: 0 };
  let start = performance.now();
  options.onStep?.("read");
  const sources = await readFlowFiles(paths);
  timings.read = since(start);

  start = performance.now();
  options.onStep?.("validate");
  const catalog = defaultCatalog();
  const validation = validateFlows(sources, catalog);
  if (!validation.ok) return { ok: false, sources, validation };
  const documents = validation.flows.map((f) => f.document);
  const analysis = analyzeFlows(documents, catalog, CAPABILITY_DECLARATIONS);
  const plan = options.plan ?? "free";
  const limit = PLAN_LIMITS[plan].subrequests;
  const subrequests = analysis.subrequests.map((s) => ({ ...s, limit }));
  const over = subrequests.filter((s) => s.count > limit);
  if (over.length > 0) {
    const list = over.map((s) => `\`${s.flowId}\` ${s.count}`).join(", ");
    throw new PackageError(
      "PACKAGE_SUBREQUESTS_EXCEEDED",
      `a run can make more subrequests than the ${plan} plan allows per invocation (${limit}): ${list}; lower retries or map sizes, split the flow, or use --plan paid`,
      { plan, limit, flows: over },
    );
  }
  const warnings = subrequests
    .filter((s) => s.unbounded)
    .map(
      (s) =>
        `flow \`${s.flowId}\` maps over a list not known when packaging: its ${s.count} subrequests count one item each`,
    );
  timings.validate = since(start);

  start = performance.now();
  options.onStep?.("write");
  const name = options.name ?? workerName(paths[0] ?? "flows");
  const configOptions = {
    name,
    files: sources.map((s) => s.file),
    ...(options.routes ? { routes: options.routes } : {}),
  };
  const config = wranglerConfig(analysis, CAPABILITY_DECLARATIONS, configOptions);
  const out = resolve(options.out);
  const written = [CONFIG_FILE, ENTRY_FILE, FLOWS_FILE];
  // Everything is written into a staging folder inside `out` and moved into place only when the package is
  // complete: a failed bundle or budget leaves `out` as it was (nothing half-written).
  const outDirError = (error: unknown): PackageError => {
    const code = (error as NodeJS.ErrnoException).code ?? "unknown";
    return new PackageError(
      "PACKAGE_OUT_DIR",
      `cannot write the package into ${options.out} (${code}): choose a directory you can write with --out`,
      { out: options.out, cause: code },
    );
  };
  const staging = await stage(out).catch((error) => {
    throw outDirError(error);
  });
  try {
    await writeFile(join(staging.dir, CONFIG_FILE), renderConfig(config, analysis, configOptions));
    await writeFile(join(staging.dir, ENTRY_FILE), entryModule(analysis, options.viewer ?? "off"));
    await writeFile(join(staging.dir, FLOWS_FILE), `${JSON.stringify(documents, null, 2)}\n`);
  } catch (error) {
    await staging.discard();
    throw outDirError(error);
  }
  timings.write = since(start);

  start = performance.now();
  options.onStep?.("bundle");
  const budget = options.budget ?? PLAN_LIMITS[plan].gzipBytes;
  let sizes: Awaited<ReturnType<typeof bundle>>;
  try {
    sizes = await bundle(
      join(staging.dir, ENTRY_FILE),
      join(staging.dir, BUNDLE_FILE),
      options.minify ?? true,
    );
    if (sizes.gzip > budget) {
      throw new PackageError(
        "PACKAGE_BUDGET_EXCEEDED",
        `the bundle is ${formatBytes(sizes.gzip)} gzipped, over the budget of ${formatBytes(budget)}: use fewer capabilities or flows per Worker, or raise --budget`,
        { gzip: sizes.gzip, raw: sizes.raw, budget },
      );
    }
    written.push(BUNDLE_FILE);
    await staging.commit(written);
  } catch (error) {
    await staging.discard();
    throw error;
  }
  timings.bundle = since(start);
  return {
    ok: true,
    out,
    name,
    plan,
    files: written,
    flows: validation.flows.map((f) => ({ id: f.document.id, file: f.file })),
    capabilities: analysis.capabilities.map((c) => c.name),
    bundle: { ...sizes, budget },
    subrequests,
    warnings,
    timings,
  };
}
