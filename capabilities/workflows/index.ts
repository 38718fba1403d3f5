/**
 * Workflows capability: the engine of durable flows (`durable: true`, impl-docs/durable.md). `durable.event` sends an
 * event to a waiting durable run; `startDurableRun` starts one (at most one instance per delivery key).
 * @example
 * import { WORKFLOWS_KINDS } from "flows-runtime/capabilities/workflows";
 * export default createWorker(flows, { registry: createRegistry(BUILTIN_KINDS, WORKFLOWS_KINDS) });
 */
export {
  KIND_DURABLE_EVENT,
  WORKFLOW_BINDING,
  WORKFLOW_CLASS,
  WORKFLOWS_DECLARATION,
  WORKFLOWS_KIND_SPECS,
  workflowName,
  workflowsWrangler,
} from "./declaration.ts";
export { durableEventKind, WORKFLOWS_KINDS } from "./kinds.ts";
export {
  type DurableParams,
  durableFlowOf,
  durableRunId,
  instanceOf,
  isWorkflowBinding,
  liveInstance,
  startDurableRun,
  type WorkflowBinding,
  type WorkflowInstanceHandle,
} from "./start.ts";
