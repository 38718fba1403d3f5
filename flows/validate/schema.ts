import { flowSchema, validateFlowDocument } from "../generated/validators.js";
import type { FlowDocument } from "../ir/types.ts";
import type { LoadedSource } from "../load/index.ts";
import type { FlowCheck } from "./context.ts";
import { explainSchemaErrors, type SchemaFinding } from "./schema-errors.ts";

/** Schema errors reported per file; more are usually consequences of the first ones. */
const MAX_SCHEMA_ERRORS = 50;

type Report = FlowCheck["report"];

/** What the schema check found: the typed document when it matches; `mismatch` when only the schema failed. */
export type SchemaCheck =
  | { doc: FlowDocument }
  | { doc?: undefined; mismatch: false }
  | { doc?: undefined; mismatch: true; findings: SchemaFinding[] };

/**
 * Checks a loaded document against the flow schema (the build-time compiled validator). Reports every
 * finding and returns the typed document when it matches.
 */
export function checkSchema(source: LoadedSource, report: Report): SchemaCheck {
  const doc = source.document as Record<string, unknown>;
  if (doc.flows !== 1) {
    const present = Object.hasOwn(doc, "flows");
    report(
      "FLOW_IR_VERSION",
      present ? "/flows" : "",
      present
        ? `\`flows: ${JSON.stringify(doc.flows)}\` is not a version this runtime reads: it reads IR version 1`
        : "this is not a flow file: it does not start with `flows: 1`",
      { hint: "a flow document begins with `flows: 1` (the IR version)" },
    );
    return { mismatch: false };
  }
  if (validateFlowDocument(doc)) return { doc: doc as unknown as FlowDocument };
  const findings = explainSchemaErrors(validateFlowDocument.errors ?? [], flowSchema, doc);
  for (const f of findings.slice(0, MAX_SCHEMA_ERRORS))
    report(f.code, f.pointer, f.message, { key: f.key, hint: f.hint });
  return { mismatch: true, findings };
}
