/**
 * Queues capability: kinds `queues.send` and `queues.sendBatch` (producers); consumers are queue triggers.
 * @example
 * import { QUEUES_KINDS } from "flows/capabilities/queues";
 * export default createWorker(flows, { registry: createRegistry(BUILTIN_KINDS, QUEUES_KINDS) });
 */
export * from "./declaration.ts";
export { QUEUE_SHAPE, QUEUES_KINDS } from "./kinds.ts";
