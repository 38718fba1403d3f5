import type { BindingDecl, FlowDocument } from "../../flows/ir/types.ts";
import { parseDuration, type RunOptions, type RunResult, runFlow, toEnvelope } from "../../kernel/index.ts";
import { startDeliveredRun } from "./durable/api.ts";
import type { FlowSet, QueueRoute } from "./flow-set.ts";
import { consoleSink, type LogSink, logRun } from "./run-log.ts";
import { allListeners } from "./runs/host.ts";
import type { RunRecording } from "./runs/recording.ts";

/** What a flow started by a queue message sees as `trigger`. */
export interface QueueTriggerEvent {
  type: "queue";
  id: string;
  queue: string;
  message: { id: string; body: unknown; attempts: number; timestamp: string };
}

/** Default base delay before a retried message is delivered again. */
export const DEFAULT_RETRY_DELAY_SECONDS = 5;
/** Queues cap a retry delay at 12 hours. */
const MAX_DELAY_SECONDS = 12 * 60 * 60;

/** Exponential backoff by delivery attempt: base, 2×base, 4×base… capped at 12 h. */
export function retryDelaySeconds(route: QueueRoute, attempts: number): number {
  const base = route.trigger.retryDelay
    ? Math.max(1, Math.round((parseDuration(route.trigger.retryDelay) ?? 0) / 1000))
    : DEFAULT_RETRY_DELAY_SECONDS;
  return Math.min(MAX_DELAY_SECONDS, base * 2 ** Math.max(0, attempts - 1));
}

/** A failure worth retrying: transient errors, deadlines, cancels; not a flow's own refusal. */
function isRetryable(result: RunResult): boolean {
  if (result.status === "cancelled" || result.status === "deadline_exceeded") return true;
  return result.error?.retriable === true || result.error?.code === "INTERNAL";
}

/** The producer binding that sends to the trigger's dead-letter queue, if the flow declares one. */
function deadLetterBinding(doc: FlowDocument | undefined, route: QueueRoute): string | undefined {
  const dlq = route.trigger.deadLetterQueue;
  if (!dlq || !doc?.bindings) return undefined;
  const entry = Object.entries(doc.bindings).find(
    ([, b]: [string, BindingDecl]) => b.type === "queue" && b.queue === dlq,
  );
  return entry?.[0];
}

export interface QueueHostOptions {
  log?: LogSink;
  runOptions: (message: Message<unknown>, route: QueueRoute) => RunOptions;
  /** The recording of a message's run in the run store, if any (`RunsRecorder.start`). */
  recording?: (route: QueueRoute) => RunRecording | undefined;
}

/**
 * Runs one flow per message, each isolated (one failing message does not fail the batch): `ack` on success,
 * a durable flow's run started as a Workflow instance keyed by the message id (acked once the instance exists),
 * `retry` with exponential backoff on a retryable failure. A non-retryable failure is sent straight to the
 * trigger's dead-letter queue when the flow declares a producer binding for it (then acked), and otherwise
 * retried so that the platform moves it there once `maxRetries` is exhausted.
 */
export async function handleQueueBatch(
  set: FlowSet,
  batch: MessageBatch<unknown>,
  env: object,
  options: QueueHostOptions,
): Promise<void> {
  const routes = set.queues.filter((r) => r.trigger.queue === batch.queue);
  const sink = options.log ?? consoleSink;
  if (routes.length === 0) {
    sink({
      level: "error",
      message: "no flow consumes this queue",
      queue: batch.queue,
      messages: batch.messages.length,
    });
    batch.retryAll();
    return;
  }
  await Promise.all(
    batch.messages.map(async (message) => {
      let allOk = true;
      let retry = false;
      let lastFailure: { route: QueueRoute; result: RunResult } | undefined;
      for (const route of routes) {
        const trigger: QueueTriggerEvent = {
          type: "queue",
          id: route.triggerId,
          queue: batch.queue,
          message: {
            id: message.id,
            body: message.body,
            attempts: message.attempts,
            timestamp: message.timestamp.toISOString(),
          },
        };
        if (set.documents.get(route.flowId)?.durable === true) {
          // The message's id is the instance's key: a redelivered message finds its instance and starts none.
          const started = await startDeliveredRun(env, route.flowId, message.id, trigger, "queue", sink);
          if (!started) {
            allOk = false;
            retry = true;
          }
          continue;
        }
        const runOptions = options.runOptions(message, route);
        const recording = options.recording?.(route);
        const listeners = [runOptions.onEvent, recording?.onEvent].filter((l) => l !== undefined);
        const onEvent = allListeners(...listeners);
        const result = await runFlow(set.plans.get(route.flowId)!, {
          ...runOptions,
          ...(onEvent ? { onEvent } : {}),
          trigger,
          logsRunFailure: runOptions.logsRunFailure ?? true,
        });
        logRun(sink, route.flowId, `queue:${batch.queue}`, result);
        recording?.done(result, trigger);
        if (result.status !== "ok") {
          allOk = false;
          retry ||= isRetryable(result);
          lastFailure = { route, result };
        }
      }
      if (allOk) return message.ack();
      if (!retry && lastFailure) {
        const binding = deadLetterBinding(set.documents.get(lastFailure.route.flowId), lastFailure.route);
        const producer = binding
          ? ((env as Record<string, unknown>)[binding] as Queue<unknown> | undefined)
          : undefined;
        if (producer) {
          await producer.send({
            body: message.body,
            id: message.id,
            queue: batch.queue,
            attempts: message.attempts,
            error: toEnvelope(lastFailure.result.error, lastFailure.result.runId).error,
          });
          return message.ack();
        }
      }
      message.retry({ delaySeconds: retryDelaySeconds(lastFailure?.route ?? routes[0]!, message.attempts) });
    }),
  );
}
