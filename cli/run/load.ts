import { readFile, stat } from "node:fs/promises";
import { ALL_CAPABILITY_KINDS } from "../../capabilities/index.ts";
import { type FlowDocument, type ValidationResult, validateFlows } from "../../flows/index.ts";
import { BUILTIN_KINDS, createRegistry, type KindRegistry } from "../../kernel/index.ts";
import { defaultCatalog } from "../catalog.ts";
import type { Colors } from "../color.ts";
import { formatReport, jsonReport } from "../report.ts";
import { CliError } from "./errors.ts";

/** A flow file read and validated: the document when valid, else the report to print. */
export type LoadedFlow =
  | { ok: true; file: string; text: string; document: FlowDocument; result: ValidationResult }
  | { ok: false; file: string; text: string; result: ValidationResult };

/**
 * Reads one flow file and validates it exactly as `flows validate` does. Throws CliError
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
  const result = validateFlows([{ file, text }], defaultCatalog());
  const flow = result.flows[0];
  if (result.ok && flow) return { ok: true, file, text, document: flow.document, result };
  return { ok: false, file, text, result };
}

/** The validation report of a flow that did not validate, as `flows validate` prints it. */
export function invalidReport(flow: LoadedFlow, json: boolean, c: Colors): string {
  return json ? jsonReport(flow.result) : formatReport(flow.result, new Map([[flow.file, flow.text]]), c);
}

/** Every node kind the CLI runs: the built-ins and every capability's (the run-time halves of `defaultCatalog`). */
export function allKinds(): KindRegistry {
  return createRegistry(BUILTIN_KINDS, ALL_CAPABILITY_KINDS);
}
