/**
 * The Workers host: turns Workers events (fetch, queue, scheduled) into flow runs and runs into responses.
 * @example
 * import { createWorker } from "flows/hosts/workers";
 * export default createWorker(flows, { registry });
 */

export { type Bindings, createFlowsApp, type HostOptions } from "./app.ts";
export {
  DEFAULT_MAX_BODY_BYTES,
  isStreamableBody,
  parseByteSize,
  type RequestBody,
  readRawRequestBody,
  readRequestBody,
  type StreamedBody,
  streamRequestBody,
} from "./body.ts";
export { type CronRoute, createFlowSet, type FlowSet, type HttpRoute, type QueueRoute } from "./flow-set.ts";
export { type GithubEndpoint, githubEndpoints, githubWebhookDocuments, webhookRegistry } from "./github.ts";
export type { HttpTriggerEvent } from "./http-trigger.ts";
export { handleQueueBatch, type QueueTriggerEvent, retryDelaySeconds } from "./queue.ts";
export { errorResponse, RUN_ID_HEADER } from "./responses.ts";
export { consoleSink, type LogSink, logRun } from "./run-log.ts";
export { queueJournal, type RuntimeBindingOption, runtimeRunOptions } from "./runtime.ts";
export { type CronTriggerEvent, handleScheduled } from "./scheduled.ts";
export { formatSseComment, formatSseEvent, type SseEvent } from "./sse/format.ts";
export { DEFAULT_HEARTBEAT_MS, sseRunStream } from "./sse/stream.ts";
export { createWorker, type FlowsWorker, type WorkerOptions } from "./worker.ts";
