/**
 * Changes capability: `changes.plan`, the change plan of two sets of flow files inside a run (the pull-request
 * plan app, `flows/builtin/apps/flow-plan.yaml`).
 * @example
 * import { CHANGES_KINDS } from "flows-runtime/capabilities/changes";
 * export default createWorker(flows, { registry: createRegistry(BUILTIN_KINDS, CHANGES_KINDS) });
 */
export { CHANGES_DECLARATION, CHANGES_KIND_SPECS, CHANGES_LIMITS, KIND_CHANGES_PLAN } from "./declaration.ts";
export { CHANGES_KINDS, changesPlanKind } from "./kinds.ts";
