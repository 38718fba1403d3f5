import { type Diagnostic, sortDiagnostics } from "../diagnostics/index.ts";
import type { KindCatalog } from "../kinds/spec.ts";
import { loadFlowSource } from "../load/index.ts";
import { createCheck, createReporter, type FlowCheck } from "./context.ts";
import { withParamDefaults } from "./params.ts";
import { checkAnswerSkips } from "./rules/answer.ts";
import { checkBindings } from "./rules/bindings.ts";
import { checkDeployment } from "./rules/deployment.ts";
import { checkDurable } from "./rules/durable.ts";
import { checkGraph } from "./rules/graph.ts";
import { checkNodes } from "./rules/nodes.ts";
import { checkOutput } from "./rules/output.ts";
import { checkPolicy } from "./rules/policy.ts";
import { checkSubflows } from "./rules/subflows.ts";
import { checkTriggers } from "./rules/triggers.ts";
import { partialView, wellFormedPart } from "./salvage.ts";
import { checkSchema } from "./schema.ts";
import { summarize } from "./summary.ts";
import type { FlowSource, ValidatedFlow, ValidateOptions, ValidationResult } from "./types.ts";

/** The rules of one flow, in order (later rules read what `checkNodes` learnt). */
const FLOW_RULES: readonly ((check: FlowCheck) => void)[] = [
  checkNodes,
  checkGraph,
  checkTriggers,
  checkBindings,
  checkPolicy,
  checkOutput,
  checkAnswerSkips,
  checkDurable,
];

/**
 * Validates flow files together (as one deployment): syntax, the flow schema, then every semantic rule, all
 * reported at once with file, line, column and JSON pointer. Never throws on bad input.
 * @example
 * const result = validateFlows([{ file: "hello.yaml", text }], catalog);
 * if (!result.ok) for (const d of result.diagnostics) console.log(`${d.file}:${d.line}:${d.column} ${d.code} ${d.message}`);
 */
export function validateFlows(
  sources: readonly FlowSource[],
  catalog: KindCatalog,
  options: ValidateOptions = {},
): ValidationResult {
  const diagnostics: Diagnostic[] = [];
  const checks: FlowCheck[] = [];
  /** Well-formed parts of files with schema errors: checked, across flows too, but not results. */
  const partial: FlowCheck[] = [];
  /** The id of every file that loaded, whether or not it matched the schema (a subflow may name it). */
  const ids = new Set<string>();
  for (const { file, text } of sources) {
    try {
      const loaded = loadFlowSource(text, file);
      diagnostics.push(...loaded.diagnostics);
      if (loaded.document === undefined) continue;
      // A flow with parameters is checked as the flow of its defaults.
      const source = withParamDefaults(loaded, text, diagnostics);
      const id = (source.document as { id?: unknown } | null)?.id;
      if (typeof id === "string") ids.add(id);
      const schema = checkSchema(source, createReporter(source, diagnostics));
      if (schema.doc) {
        const check = createCheck(source, schema.doc, catalog, options, diagnostics);
        for (const rule of FLOW_RULES) rule(check);
        checks.push(check);
        continue;
      }
      // Schema errors: the semantic rules still check the well-formed part, so that one round reports all.
      const part = schema.mismatch ? wellFormedPart(source.document, schema.findings) : undefined;
      if (!part) continue;
      const check = createCheck(source, part.doc, catalog, options, diagnostics, partialView(part));
      for (const rule of FLOW_RULES) rule(check);
      partial.push(check);
    } catch (error) {
      diagnostics.push(internalError(file, error));
    }
  }
  try {
    checkDeployment([...checks, ...partial]);
    checkSubflows([...checks, ...partial], ids);
  } catch (error) {
    diagnostics.push(internalError(sources[0]?.file ?? "", error));
  }
  const failed = new Set(diagnostics.filter((d) => d.severity === "error").map((d) => d.file));
  const flows: ValidatedFlow[] = checks.map((check) => ({
    file: check.file,
    document: check.doc,
    ok: !failed.has(check.file),
    ...summarize(check),
  }));
  return {
    ok: failed.size === 0,
    flows,
    partlyChecked: partial.map((check) => check.file),
    diagnostics: sortDiagnostics(
      diagnostics,
      sources.map((s) => s.file),
    ),
  };
}

/** A validator bug must not hide the other files' diagnostics: it becomes a diagnostic too. */
function internalError(file: string, error: unknown): Diagnostic {
  const message = error instanceof Error ? error.message : String(error);
  return {
    code: "FLOW_INTERNAL_ERROR",
    message: `the validator failed on this file: ${message}`,
    file,
    line: 1,
    column: 1,
    pointer: "",
    severity: "error",
    hint: "this is a bug in flows: please report it with the file",
  };
}
