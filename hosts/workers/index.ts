/**
 * `flows-runtime/hosts/workers`: the Workers host. It turns Workers events (fetch, queue, scheduled) into flow runs
 * and runs into responses. The Durable Object classes are in `flows-runtime/hosts/workers/objects` (Worker-only).
 * @example
 * import { createWorker } from "flows-runtime/hosts/workers";
 * export default createWorker(flows, { registry });
 */

import type { FlowDocument } from "../../flows/ir/types.ts";
import { GITHUB_TRIGGERS } from "./github.ts";
import { RUN_VIEWER } from "./viewer/index.ts";
import { createWorker as createBaseWorker, type FlowsWorker, type WorkerOptions } from "./worker.ts";

export type { Bindings, HostOptions } from "./app.ts";
export { DEFAULT_MAX_BODY_BYTES } from "./body.ts";
export type { CronRoute, FlowSet, HttpRoute, QueueRoute } from "./flow-set.ts";
export type { HttpTriggerEvent } from "./http-trigger.ts";
export type { QueueTriggerEvent } from "./queue.ts";
export { RUN_ID_HEADER } from "./responses.ts";
export { consoleSink, type LogSink } from "./run-log.ts";
export type { IndexEntry, RunRecord } from "./runs/record.ts";
export type { RunsOptions } from "./runs/recording.ts";
export type { RuntimeBindingOption } from "./runtime.ts";
export type { CronTriggerEvent } from "./scheduled.ts";
export { DEFAULT_HEARTBEAT_MS } from "./sse/stream.ts";
export type { FlowsWorker, WorkerOptions } from "./worker.ts";

/**
 * `createWorker` of `./worker.ts`, serving GitHub triggers with the built-in webhook flows (`GITHUB_TRIGGERS`) and
 * the run viewer (`RUN_VIEWER`) unless `options` say otherwise. (The packaged entry imports `./worker.ts` itself,
 * the webhook flows only when a flow has a GitHub trigger and the viewer only when it is on.)
 * @example export default createWorker(flows, { registry })
 */
export const createWorker = (documents: readonly FlowDocument[], options: WorkerOptions = {}): FlowsWorker =>
  createBaseWorker(documents, { github: GITHUB_TRIGGERS, runViewer: RUN_VIEWER, ...options });
