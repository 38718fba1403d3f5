import {
  type CapabilityDeclaration,
  mergeWrangler,
  type WranglerFragment,
} from "../../capabilities/declaration.ts";
import { runtimeWrangler } from "../../capabilities/durable-objects/declaration.ts";
import { budgetWrangler } from "../../capabilities/github/budget/declaration.ts";
import { workflowsWrangler } from "../../capabilities/workflows/declaration.ts";
import { metricsWrangler } from "../../hosts/workers/metrics/declaration.ts";
import { runsWrangler } from "../../hosts/workers/runs/declaration.ts";
import type { FlowsAnalysis } from "./analyze.ts";

/** The compatibility date of every packaged Worker: the root wrangler.toml's (a test keeps them equal). */
export const COMPATIBILITY_DATE = "2026-11-01";
/** `enable_request_signal`: a client disconnect aborts `request.signal`, which cancels the run. */
export const COMPATIBILITY_FLAGS: readonly string[] = ["enable_request_signal"];
/** The file names the packager writes into the output directory. */
export const CONFIG_FILE = "wrangler.jsonc";
export const ENTRY_FILE = "entry.js";
export const FLOWS_FILE = "flows.json";
export const BUNDLE_FILE = "worker.js";

export interface ConfigOptions {
  /** The Worker's name. */
  name: string;
  /** `main`: the bundle, relative to the config file (default `worker.js`, the config beside it in `--out`). */
  main?: string;
  /** Workers route patterns (hostnames, e.g. `example.com/*`); none: served on workers.dev. */
  routes?: readonly string[];
  /** The flow files, as given on the command line (named in the header). */
  files: readonly string[];
  /** Workers observability (`observability`): on by default with every invocation logged; `false` leaves it out. */
  observability?: ObservabilityOptions | false;
}

export interface ObservabilityOptions {
  /** The share of invocations whose logs Workers Logs keeps, 0 to 1 (default 1). */
  logSampling?: number;
  /** The share of invocations traced (Workers traces), 0 to 1; no traces without it. */
  traceSampling?: number;
}

/**
 * The `observability` section: Workers Logs on (the run log line of every run is a queryable event there, see
 * impl-docs/observability.md), head-sampled at `logSampling`; traces only when asked for.
 * @example observabilityConfig({ traceSampling: 0.1 }) // { enabled: true, head_sampling_rate: 1, logs: {…}, traces: { enabled: true, head_sampling_rate: 0.1 } }
 */
export function observabilityConfig(options: ObservabilityOptions = {}): Record<string, unknown> {
  const config: Record<string, unknown> = {
    enabled: true,
    head_sampling_rate: options.logSampling ?? 1,
    logs: { enabled: true, invocation_logs: true },
  };
  if (options.traceSampling !== undefined)
    config.traces = { enabled: true, head_sampling_rate: options.traceSampling };
  return config;
}

/**
 * The wrangler configuration (the shape of wrangler.json) of a packaged Worker: the pre-built bundle as `main`
 * (`no_bundle`: wrangler uploads exactly what the packager measured), the bindings of every capability the flows
 * declare, the FlowsRuntime object when the host will use it, the run store (FlowsRuns) when runs are recorded, the
 * shared GitHub rate budget (FlowsGitHubBudget) when a flow calls GitHub's REST API, the FlowsWorkflow Workflow
 * when a flow is durable, cron triggers, vars and the names of secrets.
 */
export function wranglerConfig(
  analysis: FlowsAnalysis,
  declarations: readonly CapabilityDeclaration[],
  options: ConfigOptions,
): Record<string, unknown> {
  const fragments: WranglerFragment[] = declarations.map((d) =>
    d.wrangler(analysis.bindings, analysis.triggers),
  );
  fragments.push(metricsWrangler(analysis.bindings));
  if (analysis.durable) fragments.unshift(workflowsWrangler(options.name));
  if (analysis.githubBudgets.length > 0) fragments.unshift(budgetWrangler(analysis.githubBudgets));
  if (analysis.runs) fragments.unshift(runsWrangler());
  if (analysis.runtime) fragments.unshift(runtimeWrangler());
  const merged = mergeWrangler(fragments);
  const config: Record<string, unknown> = {
    name: options.name,
    main: options.main ?? BUNDLE_FILE,
    no_bundle: true,
    compatibility_date: COMPATIBILITY_DATE,
    compatibility_flags: [...COMPATIBILITY_FLAGS],
  };
  if (options.routes && options.routes.length > 0) config.routes = [...options.routes];
  // The flows' own vars win over a capability's (`mergeWrangler` keeps the first value).
  const sections = mergeWrangler([
    Object.keys(analysis.vars).length > 0 ? { vars: analysis.vars } : {},
    merged,
  ]);
  // Every section the capabilities declare, also ones flows has no rule for (`d1_databases`, `services`...).
  const order = [
    "vars",
    "kv_namespaces",
    "r2_buckets",
    "queues",
    "durable_objects",
    "migrations",
    "workflows",
    "analytics_engine_datasets",
  ];
  const keys = [...order, ...Object.keys(sections).filter((k) => !order.includes(k))];
  for (const key of keys) {
    if (sections[key] !== undefined && !Object.hasOwn(config, key)) config[key] = sections[key];
  }
  // No id: `wrangler deploy` provisions a namespace for a binding without one (or keeps the one the deployed
  // Worker has), and locally the binding name is the namespace. A user who has an id puts it in their config.
  if (merged.kv_namespaces) config.kv_namespaces = merged.kv_namespaces.map(({ id: _id, ...rest }) => rest);
  if (analysis.crons.length > 0) config.triggers = { crons: analysis.crons };
  if (analysis.secrets.length > 0) config.secrets = { required: analysis.secrets };
  if (options.observability !== false) config.observability = observabilityConfig(options.observability);
  return config;
}

/** The first and last lines of the header the packager writes, and rewrites while the file starts with it. */
export const CONFIG_HEADER_MARK = "// Written by `flows package workers`, then yours:";
export const CONFIG_HEADER_END =
  "// (The packager rewrites the comment lines above; comments below are yours.)";

/**
 * The header of comments of a wrangler.jsonc the packager writes: where it came from, the HTTP paths served, the
 * secrets to set, the KV namespaces that wrangler provisions.
 */
export function configHeader(
  config: Record<string, unknown>,
  analysis: FlowsAnalysis,
  options: ConfigOptions,
): string {
  const lines = [
    `${CONFIG_HEADER_MARK} edit it freely. Packaging again adds what the flows need`,
    "// (bindings by name, consumers, Durable Objects, crons, vars, flags) and keeps everything else: ids, routes,",
    "// env.*, other settings and comments.",
    `// Flows: ${options.files.join(", ")}`,
    "// HTTP paths served by this Worker (its routes are hostnames: `--route`, else workers.dev):",
    ...analysis.routes.map((r) => `//   ${r.method} ${r.path} (${r.flowId})`),
  ];
  if (analysis.secrets.length > 0) {
    lines.push(
      `// Secrets, never written here: set each with \`wrangler secret put <NAME>\`, locally in .dev.vars: ${analysis.secrets.join(", ")}`,
    );
  }
  if (config.kv_namespaces) {
    lines.push(
      "// A kv_namespaces entry without an id: `wrangler deploy` creates the namespace (or keeps the deployed one);",
      "// put an existing namespace's id in it to use that one.",
    );
  }
  lines.push(CONFIG_HEADER_END);
  return `${lines.join("\n")}\n`;
}

/** `text` with its packager's header (from `CONFIG_HEADER_MARK` to `CONFIG_HEADER_END`) replaced by `header`. */
export function refreshHeader(text: string, header: string): string {
  if (!text.startsWith(CONFIG_HEADER_MARK)) return text;
  const end = text.indexOf(`\n${CONFIG_HEADER_END}\n`);
  if (end === -1) return text;
  return `${header}${text.slice(end + CONFIG_HEADER_END.length + 2)}`;
}

/** A new wrangler.jsonc: the header (`configHeader`) and the configuration. */
export function renderConfig(
  config: Record<string, unknown>,
  analysis: FlowsAnalysis,
  options: ConfigOptions,
): string {
  return `${configHeader(config, analysis, options)}${JSON.stringify(config, null, 2)}\n`;
}
