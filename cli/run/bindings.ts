import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CAPABILITY_DECLARATIONS } from "../../capabilities/declarations.ts";
import { mergeWrangler } from "../../capabilities/index.ts";
import type { BindingType, FlowDocument } from "../../flows/index.ts";
import type { ExecutionPlan } from "../../kernel/index.ts";
import { CliError } from "./errors.ts";

/** The compatibility date of the throw-away wrangler config (not newer than the bundled workerd). */
const COMPATIBILITY_DATE = "2026-11-01";

/** What a run gets as `env`, and how to release it. */
export interface RunBindings {
  env: Record<string, unknown>;
  /** True when workerd was started for the run's capability bindings. */
  local: boolean;
  dispose(): Promise<void>;
}

/** The binding types the plan's kinds need (templates of `map` included). */
export function neededBindingTypes(plan: ExecutionPlan): Set<BindingType> {
  const needs = new Set<BindingType>();
  for (const node of plan.nodes) {
    let step: { kind: { spec: { needs?: readonly BindingType[] } }; template?: unknown } | undefined = node;
    while (step) {
      for (const type of step.kind.spec.needs ?? []) needs.add(type);
      step = step.template as typeof step | undefined;
    }
  }
  return needs;
}

/**
 * The wrangler config (JSON) for a flow's capability bindings: KV namespaces, R2 buckets and queue producers,
 * as the packager declares them. Queue consumers are left out: a one-shot run consumes nothing.
 */
export function wranglerConfigFor(doc: FlowDocument): Record<string, unknown> {
  const merged = mergeWrangler(CAPABILITY_DECLARATIONS.map((d) => d.wrangler(doc.bindings ?? {}, [])));
  const { queues, durable_objects: _objects, migrations: _migrations, ...rest } = merged;
  return {
    name: `flows-run-${doc.id}`,
    compatibility_date: COMPATIBILITY_DATE,
    compatibility_flags: ["enable_request_signal"],
    ...rest,
    ...(queues?.producers ? { queues: { producers: queues.producers } } : {}),
  };
}

/** Vars and secrets: secrets come from the environment variable of the same name, when set. */
function plainBindings(doc: FlowDocument, environment: NodeJS.ProcessEnv): Record<string, unknown> {
  const env: Record<string, unknown> = {};
  for (const [name, decl] of Object.entries(doc.bindings ?? {})) {
    if (decl.type === "var") env[name] = decl.value;
    else if (decl.type === "secret" && environment[name] !== undefined) env[name] = environment[name];
  }
  return env;
}

export interface BindingOptions {
  /** Keep local data in this folder (like `wrangler dev`'s `.wrangler/state`); ephemeral by default. */
  persist?: string | undefined;
  environment?: NodeJS.ProcessEnv;
  /** Vars of the capabilities' wrangler fragments; the flow's own vars win over them. */
  vars?: Record<string, unknown>;
}

/**
 * The `env` of a local run. A flow whose kinds need no binding gets only its vars and secrets, and workerd is
 * not started. Otherwise the flow's KV, R2 and queue-producer bindings are served by wrangler's
 * `getPlatformProxy` (real local implementations on workerd), from a throw-away wrangler config. Durable
 * Objects cannot be served this way (the proxy needs the class in a running worker): `CLI_BINDINGS_UNSUPPORTED`.
 */
export async function runBindings(
  doc: FlowDocument,
  plan: ExecutionPlan,
  options: BindingOptions = {},
): Promise<RunBindings> {
  const plain = { ...options.vars, ...plainBindings(doc, options.environment ?? process.env) };
  const needs = neededBindingTypes(plan);
  if (needs.size === 0) return { env: plain, local: false, dispose: async () => {} };
  if (needs.has("durableObject")) {
    throw new CliError(
      "CLI_BINDINGS_UNSUPPORTED",
      `flow \`${doc.id}\` uses Durable Objects, which \`flows run\` cannot provide locally: serve it with \`flows dev\``,
      { needs: [...needs] },
    );
  }
  const dir = await mkdtemp(join(tmpdir(), "flows-run-"));
  const config = join(dir, "wrangler.json");
  await writeFile(config, `${JSON.stringify(wranglerConfigFor(doc), null, 2)}\n`);
  // Loaded only when needed: wrangler is a large import and starts workerd.
  const { localBindings } = await import("../../hosts/node/platform.ts");
  try {
    const local = await localBindings(config, options.persist ? { path: options.persist } : false);
    return {
      env: { ...(local.env as Record<string, unknown>), ...plain },
      local: true,
      dispose: async () => {
        await local.dispose();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}
