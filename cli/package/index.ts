import { mkdir, writeFile } from "node:fs/promises";
import { basename, dirname, join, relative, resolve, sep } from "node:path";
import { type FlowSource, type ValidationResult, validateFlows } from "../../flows/index.ts";
import { ADMIN_TOKEN_BINDING } from "../../hosts/workers/viewer/auth.ts";
import { readFlowFiles } from "../files.ts";
import { loadProject, projectName } from "../project.ts";
import { analyzeFlows, type FlowsAnalysis } from "./analyze.ts";
import { bundle } from "./bundle.ts";
import {
  BUNDLE_FILE,
  CONFIG_FILE,
  configHeader,
  ENTRY_FILE,
  FLOWS_FILE,
  type ObservabilityOptions,
  renderConfig,
  wranglerConfig,
} from "./config.ts";
import { entryModule, type ViewerMode } from "./entry.ts";
import { PackageError } from "./errors.ts";
import { formatBytes, PLAN_LIMITS, type Plan } from "./limits.ts";
import { stage } from "./staging.ts";
import { updateConfigFile } from "./user-config.ts";

export interface PackageOptions {
  out: string;
  /** The Worker's name; default from the first path (`examples/s3_workers_echo` → `s3-workers-echo`). */
  name?: string;
  plan?: Plan;
  /** Gzipped bundle budget in bytes; default the plan's Worker size limit. */
  budget?: number;
  routes?: readonly string[];
  /**
   * The user's wrangler config (`.jsonc` or `.json`), default `<out>/wrangler.jsonc`: written when missing, else
   * what the flows need is added to it and everything else kept (see `user-config.ts`). Its `main` points at the
   * bundle in `out`.
   */
  config?: string;
  /** Minify the bundle (default true; `flows dev` turns it off for readable stack traces). */
  minify?: boolean;
  /**
   * The run viewer at `/_flows/` (hosts.md, "Run viewer"): `off` by default in a package (the page starts runs
   * with the Worker's bindings); `on` with `--viewer`; `record-all` for `flows dev` (any run can be followed).
   */
  viewer?: ViewerMode;
  /** Workers Logs and traces (`observability` in the config): on by default, logs of every invocation. */
  observability?: ObservabilityOptions | false;
  /** Called as each step starts (progress output). */
  onStep?: (step: PackageStep) => void;
}

export type PackageStep = "read" | "validate" | "write" | "bundle";

export interface PackageResult {
  ok: true;
  out: string;
  name: string;
  plan: Plan;
  /** The files written, relative to `out` (the config, when it is elsewhere, as its absolute path). */
  files: string[];
  /** The wrangler config: its path, whether it was new, what was added to it, and what it sets otherwise. */
  config: { path: string; created: boolean; added: string[]; notes: string[] };
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

/**
 * The default Worker name: the user's project name (its package.json), else the folder or file name of the first
 * path; lowercase letters, digits and dashes.
 */
export function workerName(path: string): string {
  const base = projectName(resolve(path)) ?? basename(resolve(path)).replace(/\.(ya?ml|json)$/i, "");
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
  const project = await loadProject();
  const { catalog, configValidators } = project;
  const validation = validateFlows(sources, catalog, { configValidators });
  if (!validation.ok) return { ok: false, sources, validation };
  const documents = validation.flows.map((f) => f.document);
  const capabilities = project.registry.capabilities;
  const analyzed = analyzeFlows(documents, catalog, capabilities);
  const viewer = options.viewer ?? "off";
  // A served viewer needs its bearer token: the secret is listed (wrangler dev loads only listed .dev.vars keys).
  const analysis =
    viewer === "off" || analyzed.secrets.includes(ADMIN_TOKEN_BINDING)
      ? analyzed
      : { ...analyzed, secrets: [...analyzed.secrets, ADMIN_TOKEN_BINDING] };
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
    ...(options.observability !== undefined ? { observability: options.observability } : {}),
  };
  const out = resolve(options.out);
  const configPath = resolve(options.config ?? join(out, CONFIG_FILE));
  if (/\.toml$/i.test(configPath)) {
    throw new PackageError(
      "PACKAGE_CONFIG_TOML",
      `${options.config} is TOML, which the packager cannot edit keeping its comments: convert it to wrangler.jsonc (wrangler reads either) and pass that with --config`,
      { config: options.config },
    );
  }
  const main = relative(dirname(configPath), join(out, BUNDLE_FILE)).split(sep).join("/");
  const config = wranglerConfig(analysis, capabilities, { ...configOptions, main });
  const update = await updateConfigFile(
    configPath,
    config,
    configHeader(config, analysis, configOptions),
    () => renderConfig(config, analysis, configOptions),
  );
  // The config beside the package is staged with it; one elsewhere (--config) is written once the package is.
  const configInOut = dirname(configPath) === out;
  const written = [
    ...(update.text !== undefined && configInOut ? [basename(configPath)] : []),
    ENTRY_FILE,
    FLOWS_FILE,
  ];
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
    if (update.text !== undefined && configInOut)
      await writeFile(join(staging.dir, basename(configPath)), update.text);
    await writeFile(join(staging.dir, ENTRY_FILE), entryModule(analysis, viewer));
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
      project.root,
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
  if (update.text !== undefined && !configInOut) {
    try {
      await mkdir(dirname(configPath), { recursive: true });
      await writeFile(configPath, update.text);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? "unknown";
      throw new PackageError("PACKAGE_OUT_DIR", `cannot write ${configPath} (${code})`, {
        config: configPath,
        cause: code,
      });
    }
    written.unshift(configPath);
  }
  timings.bundle = since(start);
  return {
    ok: true,
    out,
    name,
    plan,
    files: written,
    config: { path: configPath, created: update.created, added: update.added, notes: update.notes },
    flows: validation.flows.map((f) => ({ id: f.document.id, file: f.file })),
    capabilities: analysis.capabilities.map((c) => c.name),
    bundle: { ...sizes, budget },
    subrequests,
    warnings,
    timings,
  };
}
