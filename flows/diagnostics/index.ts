/**
 * Diagnostics: what the loader and the validator report about a flow file. Every code is documented in
 * `impl-docs/errors.md` ("Validation codes"); a test keeps this list and that table in step.
 */

export type Severity = "error" | "warning";

/** One finding about a flow file, located by line and column (1-based) and by JSON pointer. */
export interface Diagnostic {
  /** Stable code, `FLOW_*`. */
  code: ValidationCode;
  /** What is wrong and how to fix it. */
  message: string;
  file: string;
  line: number;
  column: number;
  /** JSON pointer (RFC 6901) of the value concerned; `""` for the whole document. */
  pointer: string;
  severity: Severity;
  /** An extra suggestion, when there is one. */
  hint?: string;
}

/** Every validation code with its severity. */
export const VALIDATION_CODES = {
  // Loading (flows/load)
  FLOW_SYNTAX: "error",
  FLOW_DUPLICATE_KEY: "error",
  FLOW_ALIAS_LIMIT: "error",
  FLOW_ROOT_NOT_OBJECT: "error",
  FLOW_UNSUPPORTED_VALUE: "error",
  FLOW_YAML_WARNING: "warning",
  // Schema (flows/schema/flow.v1.json)
  FLOW_IR_VERSION: "error",
  FLOW_SCHEMA_REQUIRED: "error",
  FLOW_SCHEMA_UNKNOWN_FIELD: "error",
  FLOW_SCHEMA_TYPE: "error",
  FLOW_SCHEMA_VALUE: "error",
  // Nodes and kinds
  FLOW_TOO_MANY_NODES: "error",
  FLOW_DUPLICATE_NODE_ID: "error",
  FLOW_UNKNOWN_KIND: "error",
  FLOW_CONFIG_INVALID: "error",
  FLOW_CONFIG_UNCHECKED: "warning",
  FLOW_CONFIG_STATIC_EXPRESSION: "warning",
  FLOW_UNKNOWN_INPUT: "error",
  FLOW_INPUT_MISSING: "error",
  FLOW_IDEMPOTENCY_KEY_ON_PURE: "warning",
  // Expressions
  FLOW_EXPR_SYNTAX: "error",
  FLOW_EXPR_TYPE: "error",
  FLOW_EXPR_LIMIT: "error",
  FLOW_EXPR_ROOT_NOT_ALLOWED: "error",
  FLOW_VAR_UNKNOWN: "error",
  FLOW_PARAM_UNKNOWN: "error",
  FLOW_PARAM_INVALID: "error",
  // Graph
  FLOW_UNKNOWN_NODE_REF: "error",
  FLOW_UNKNOWN_PORT: "error",
  FLOW_AFTER_UNKNOWN_NODE: "error",
  FLOW_SELF_REFERENCE: "error",
  FLOW_CYCLE: "error",
  // Triggers and deployment
  FLOW_DUPLICATE_TRIGGER_ID: "error",
  FLOW_CRON_INVALID: "error",
  FLOW_ON_DISCONNECT_INVALID: "error",
  FLOW_ROUTE_CONFLICT: "error",
  FLOW_DUPLICATE_FLOW_ID: "error",
  FLOW_SUBFLOW_UNKNOWN: "error",
  // Bindings
  FLOW_BINDING_MISSING: "error",
  FLOW_BINDING_WRONG_TYPE: "error",
  FLOW_BINDING_AMBIGUOUS: "error",
  FLOW_QUEUE_BINDING_MISSING: "error",
  FLOW_DO_CLASS_UNKNOWN: "error",
  // Retries and limits
  FLOW_RETRY_NOT_IDEMPOTENT: "error",
  FLOW_TIMEOUT_TOO_LONG: "error",
  FLOW_RETENTION_OUT_OF_RANGE: "error",
  // Durable flows
  FLOW_WAIT_NOT_DURABLE: "error",
  FLOW_DURABLE_TRIGGER: "error",
  FLOW_DURABLE_STREAM: "error",
  FLOW_DURABLE_LIMIT: "error",
  FLOW_DURABLE_MAP_STEPS: "warning",
  // Output
  FLOW_OUTPUT_UNKNOWN_NODE: "error",
  FLOW_OUTPUT_AMBIGUOUS: "error",
  FLOW_OUTPUT_MISSING: "warning",
  FLOW_OUTPUT_MAY_BE_SKIPPED: "warning",
  // The validator itself
  FLOW_INTERNAL_ERROR: "error",
} as const satisfies Record<string, Severity>;

export type ValidationCode = keyof typeof VALIDATION_CODES;

/** Position of a diagnostic in its file (1-based line and column). */
export interface SourcePosition {
  line: number;
  column: number;
}

/** Orders diagnostics by file (in the given order), line, column and code. */
export function sortDiagnostics(diagnostics: Diagnostic[], files: readonly string[]): Diagnostic[] {
  const rank = new Map(files.map((f, i) => [f, i]));
  return diagnostics.sort(
    (a, b) =>
      (rank.get(a.file) ?? 0) - (rank.get(b.file) ?? 0) ||
      a.line - b.line ||
      a.column - b.column ||
      (a.code < b.code ? -1 : a.code > b.code ? 1 : 0),
  );
}
