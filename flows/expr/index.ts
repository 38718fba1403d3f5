export { EXPRESSION_LIMITS, EXPRESSION_ROOTS } from "./environment.ts";
export {
  type CompiledExpression,
  compileExpression,
  ExpressionError,
  type NodeReference,
  type Scope,
} from "./expression.ts";
export { type CompiledValue, compileBareExpression, compileValue, type TemplateIssue } from "./template.ts";
export { fromCel } from "./values.ts";
