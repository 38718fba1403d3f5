import { readFile, stat } from "node:fs/promises";
import { CAPABILITY_DECLARATIONS } from "../../capabilities/declarations.ts";
import { ALL_CAPABILITY_KINDS } from "../../capabilities/index.ts";
import { type FlowDocument, type ValidationResult, validateFlows } from "../../flows/index.ts";
import { BUILTIN_KINDS, createRegistry, type KindRegistry } from "../../kernel/index.ts";
import type { Colors } from "../color.ts";
import { readFlowFiles, UsageError } from "../files.ts";
import { loadProject } from "../project.ts";
import { formatReport, jsonReport } from "../report.ts";
import { CliError } from "./errors.ts";

/** A flow file read and validated: the document when valid, else the report to print. */
export type LoadedFlow =
  | { ok: true; file: string; text: string; document: FlowDocument; result: ValidationResult }
  | { ok: false; file: string; text: string; result: ValidationResult };

/** Flow files read and validated together (one deployment): their documents when all are valid. */
export type LoadedFlows =
  | { ok: true; texts: Map<string, string>; documents: FlowDocument[]; result: ValidationResult }
  | { ok: false; texts: Map<string, string>; result: ValidationResult };

/** What a one-file command cannot check: the flows its `subflow` nodes call live in other files. */
const NEEDS_THE_SET = new Set(["FLOW_SUBFLOW_UNKNOWN"]);

/**
 * Reads one flow file and validates it as `flows validate` does, except that the flows its `subflow` nodes
 * call are not looked for (they are other files: `flows graph` draws one flow). Throws CliError
 * `CLI_FILE_NOT_FOUND` when the path is missing or is not a file.
 * @example const flow = await loadFlow("flows/hello.yaml"); if (flow.ok) createPlan(flow.document)
 */
export async function loadFlow(file: string): Promise<LoadedFlow> {
  const info = await stat(file).catch(() => undefined);
  if (!info?.isFile()) {
    throw new CliError(
      "CLI_FILE_NOT_FOUND",
      info ? `${file} is a directory: give one flow file` : `no such file: ${file}`,
      { file },
    );
  }
  const text = await readFile(file, "utf8");
  const { catalog, configValidators } = await loadProject();
  const all = validateFlows([{ file, text }], catalog, { configValidators });
  const diagnostics = all.diagnostics.filter((d) => !NEEDS_THE_SET.has(d.code));
  const ok = !diagnostics.some((d) => d.severity === "error");
  const result: ValidationResult = {
    ...all,
    ok,
    diagnostics,
    flows: all.flows.map((f) => ({ ...f, ok })),
  };
  const flow = result.flows[0];
  if (result.ok && flow) return { ok: true, file, text, document: flow.document, result };
  return { ok: false, file, text, result };
}

/**
 * Reads flow files and folders (as `flows validate` finds them) and validates them together, exactly as
 * `flows validate` does: a `subflow` node must name one of them. Throws CliError `CLI_FILE_NOT_FOUND` for a
 * missing path or when no flow file is found.
 * @example const set = await loadFlows(["flows/"]); if (set.ok) set.documents.map((d) => d.id)
 */
export async function loadFlows(paths: readonly string[]): Promise<LoadedFlows> {
  let sources: { file: string; text: string }[];
  try {
    sources = await readFlowFiles(paths);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    throw new CliError("CLI_FILE_NOT_FOUND", error.message, { files: [...paths] });
  }
  const texts = new Map(sources.map((s) => [s.file, s.text]));
  const { catalog, configValidators } = await loadProject();
  const result = validateFlows(sources, catalog, { configValidators });
  if (result.ok) return { ok: true, texts, documents: result.flows.map((f) => f.document), result };
  return { ok: false, texts, result };
}

/** The validation report of flows that did not validate, as `flows validate` prints it. */
export function invalidReport(
  flow: { result: ValidationResult } & ({ file: string; text: string } | { texts: Map<string, string> }),
  json: boolean,
  c: Colors,
): string {
  const texts = "texts" in flow ? flow.texts : new Map([[flow.file, flow.text]]);
  return json ? jsonReport(flow.result) : formatReport(flow.result, texts, c);
}

/** The built-in kinds and every built-in capability's (the run-time halves of the built-in catalog). */
export function allKinds(): KindRegistry {
  return createRegistry(BUILTIN_KINDS, ALL_CAPABILITY_KINDS);
}

/**
 * Every node kind `flows run` and `flows graph` use: `allKinds()` and those of the project's capability
 * packages (their run-time modules imported in Node, by their package specifiers).
 */
export async function projectKinds(): Promise<KindRegistry> {
  const project = await loadProject();
  const builtin = new Set(CAPABILITY_DECLARATIONS.map((c) => c.name));
  const third = project.registry.capabilities.filter((c) => !builtin.has(c.name));
  const registries = await Promise.all(third.map((c) => project.runtimeKinds(c)));
  return createRegistry(BUILTIN_KINDS, ALL_CAPABILITY_KINDS, ...registries);
}

/**
 * The `vars` that the project's capability packages add to the wrangler configuration of this flow (what a
 * packaged Worker gets), for the capabilities whose kinds the flow uses: a local run sees them too.
 */
export async function capabilityVars(doc: FlowDocument): Promise<Record<string, unknown>> {
  const project = await loadProject();
  const builtin = new Set(CAPABILITY_DECLARATIONS.map((c) => c.name));
  const kinds = new Set(doc.nodes.map((n) => n.kind));
  const vars: Record<string, unknown> = {};
  for (const capability of project.registry.capabilities) {
    if (builtin.has(capability.name) || !Object.keys(capability.kinds).some((k) => kinds.has(k))) continue;
    const fragment = capability.wrangler(doc.bindings ?? {}, doc.triggers);
    if (fragment.vars && typeof fragment.vars === "object") Object.assign(vars, fragment.vars);
  }
  return vars;
}
