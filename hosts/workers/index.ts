/**
 * `flows-runtime/hosts/workers`: the Workers host. It turns Workers events (fetch, queue, scheduled) into flow runs
 * and runs into responses. The Durable Object classes are in `flows-runtime/hosts/workers/objects` (Worker-only).
 * @example
 * import { createWorker } from "flows-runtime/hosts/workers";
 * export default createWorker(flows, { registry });
 */

export type { Bindings, HostOptions } from "./app.ts";
export { DEFAULT_MAX_BODY_BYTES } from "./body.ts";
export type { CronRoute, FlowSet, HttpRoute, QueueRoute } from "./flow-set.ts";
export type { HttpTriggerEvent } from "./http-trigger.ts";
export type { QueueTriggerEvent } from "./queue.ts";
export { RUN_ID_HEADER } from "./responses.ts";
export { consoleSink, type LogSink } from "./run-log.ts";
export type { RuntimeBindingOption } from "./runtime.ts";
export type { CronTriggerEvent } from "./scheduled.ts";
export { DEFAULT_HEARTBEAT_MS } from "./sse/stream.ts";
export { createWorker, type FlowsWorker, type WorkerOptions } from "./worker.ts";
