/**
 * `flows-runtime/flows`: the flow IR (types), the loader, the validator, the expression API and the kind catalog
 * types. Runtime code (web standards only): safe to import in a Worker. Internal helpers stay in their modules.
 * @example
 * const { ok, flows, diagnostics } = validateFlows([{ file: "hello.yaml", text }], BUILTIN_KIND_SPECS);
 */
export {
  type Diagnostic,
  type Severity,
  type SourcePosition,
  sortDiagnostics,
  VALIDATION_CODES,
  type ValidationCode,
} from "./diagnostics/index.ts";
export {
  type CompiledExpression,
  compileExpression,
  ExpressionError,
  type NodeReference,
  type Scope,
} from "./expr/index.ts";
export type * from "./ir/types.ts";
export { IR_VERSION } from "./ir/types.ts";
export type { JsonSchema, KindCatalog, NodeKindSpec, PortSpec } from "./kinds/spec.ts";
export { outputPorts } from "./kinds/spec.ts";
export { type LoadedSource, type LocateOptions, loadFlowSource } from "./load/index.ts";
export { type FlowInstance, instantiateFlow, type ParamIssue, type ParamIssueCode } from "./params/index.ts";
export type {
  CompiledValidationError,
  CompiledValidator,
  FlowSource,
  ValidatedFlow,
  ValidateOptions,
  ValidationResult,
} from "./validate/index.ts";
export { LIMITS, validateFlows } from "./validate/index.ts";
