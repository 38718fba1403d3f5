/**
 * The public surface of `flows`: the IR types, the loader, the validator, the expression API and the kind
 * catalog types. Runtime code (web standards only): safe to import in a Worker.
 */
export {
  type Diagnostic,
  type Severity,
  type SourcePosition,
  sortDiagnostics,
  VALIDATION_CODES,
  type ValidationCode,
} from "./diagnostics/index.ts";
export * from "./expr/index.ts";
export type * from "./ir/types.ts";
export { IR_VERSION } from "./ir/types.ts";
export type { JsonSchema, KindCatalog, NodeKindSpec, PortSpec } from "./kinds/spec.ts";
export { outputPorts } from "./kinds/spec.ts";
export * from "./load/index.ts";
export * from "./validate/index.ts";
