export { type CronProblem, checkCron } from "./cron.ts";
export { DEFAULT_GITHUB_PATH, routeKey } from "./rules/deployment.ts";
export { MAP_KIND } from "./rules/kinds.ts";
export { MAX_NODES } from "./rules/nodes.ts";
export { RESPOND_KIND } from "./rules/output.ts";
export { LIMITS } from "./rules/policy.ts";
export { DETERMINISM_ORDER, nodeDeterminism, weaker } from "./summary.ts";
export type {
  CompiledValidationError,
  CompiledValidator,
  FlowSource,
  ValidatedFlow,
  ValidateOptions,
  ValidationResult,
} from "./types.ts";
export { validateFlows } from "./validate.ts";
