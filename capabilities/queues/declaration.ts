import type { QueueTrigger } from "../../flows/ir/types.ts";
import type { JsonSchema, KindCatalog, NodeKindSpec } from "../../flows/kinds/spec.ts";
import { parseDuration } from "../../kernel/index.ts";
import { QUEUES_CODES } from "../codes.ts";
import { bindingsOf, type QueueConsumerConfig } from "../declaration.ts";
import { defineCapability } from "../define.ts";

/** Queues: the pure half (kind specs, producer bindings and consumer settings from queue triggers). */

export const KIND_QUEUES_SEND = "queues.send";
export const KIND_QUEUES_SEND_BATCH = "queues.sendBatch";

/** Queues limits (https://developers.cloudflare.com/queues/platform/limits/). */
export const QUEUE_LIMITS = Object.freeze({
  batchMessages: 100,
  maxDelaySeconds: 24 * 60 * 60,
  /** The platform's limit on one message (128 KB). */
  maxMessageBytes: 128 * 1000,
});

const CONTENT_TYPE: JsonSchema = { enum: ["json", "text", "bytes", "v8"] };
/** A fresh object per kind: ajv's standalone output breaks when two kinds share one schema object. */
const config = (): JsonSchema => ({
  type: "object",
  additionalProperties: false,
  properties: {
    binding: {
      type: "string",
      pattern: "^[A-Z][A-Z0-9_]*$",
      description:
        "The queue binding (producer) to send to; may be left out when the flow declares exactly one.",
    },
    contentType: CONTENT_TYPE,
  },
});

const send: NodeKindSpec = {
  kind: KIND_QUEUES_SEND,
  description:
    "Sends input `body` as one message to a queue (a producer binding). It is encoded as `config.contentType` (`json` by default, `text`, `bytes`, `v8`) unless input `contentType` says otherwise, and delivered after input `delaySeconds` (0–86400). `out` is the number of messages sent (1).",
  effect: "write",
  determinism: "best_effort",
  inputs: { body: { required: true }, delaySeconds: {}, contentType: {} },
  outputs: { out: {} },
  configSchema: config(),
  needs: ["queue"],
  defaultTimeout: "10s",
};

const sendBatch: NodeKindSpec = {
  kind: KIND_QUEUES_SEND_BATCH,
  description: `Sends input \`messages\` (a list of 1–${QUEUE_LIMITS.batchMessages}) in one request. Each item is a message body, or \`{ body, delaySeconds?, contentType? }\` when the list's items all have a \`body\` field. Input \`delaySeconds\` delays the whole batch. \`out\` is the number of messages sent.`,
  effect: "write",
  determinism: "best_effort",
  inputs: { messages: { required: true }, delaySeconds: {} },
  outputs: { out: {} },
  configSchema: config(),
  needs: ["queue"],
  defaultTimeout: "10s",
};

/** The Queues kinds' specs, keyed by kind name. */
export const QUEUES_KIND_SPECS: KindCatalog = Object.freeze({
  [KIND_QUEUES_SEND]: send,
  [KIND_QUEUES_SEND_BATCH]: sendBatch,
});

const seconds = (duration: string | undefined): number | undefined => {
  if (duration === undefined) return undefined;
  const ms = parseDuration(duration);
  return ms === undefined ? undefined : Math.round(ms / 1000);
};

/** The `[[queues.consumers]]` entry for a queue trigger (durations in seconds). */
export function consumerConfig(trigger: QueueTrigger): QueueConsumerConfig {
  const entry: QueueConsumerConfig = { queue: trigger.queue };
  if (trigger.batchSize !== undefined) entry.max_batch_size = trigger.batchSize;
  const timeout = seconds(trigger.batchTimeout);
  if (timeout !== undefined) entry.max_batch_timeout = timeout;
  if (trigger.maxRetries !== undefined) entry.max_retries = trigger.maxRetries;
  const delay = seconds(trigger.retryDelay);
  if (delay !== undefined) entry.retry_delay = delay;
  if (trigger.deadLetterQueue !== undefined) entry.dead_letter_queue = trigger.deadLetterQueue;
  return entry;
}

/**
 * Queues as a capability: kinds `queues.*` on `queue` bindings; a `queues.producers` entry per queue binding and a
 * `queues.consumers` entry per queue trigger.
 * @example QUEUES_DECLARATION.wrangler({ JOBS: { type: "queue", queue: "jobs" } }, [{ type: "queue", queue: "jobs", batchSize: 10 }])
 * // { queues: { producers: [{ binding: "JOBS", queue: "jobs" }], consumers: [{ queue: "jobs", max_batch_size: 10 }] } }
 */
export const QUEUES_DECLARATION = defineCapability({
  name: "queues",
  codes: QUEUES_CODES,
  runtime: { module: "flows-runtime/capabilities/queues/kinds", export: "QUEUES_KINDS" },
  bindingType: "queue",
  kinds: QUEUES_KIND_SPECS,
  wrangler: (bindings, triggers = []) => {
    const producers = bindingsOf(bindings, "queue").map(([binding, decl]) => ({
      binding,
      queue: decl.queue,
    }));
    const consumers = triggers.filter((t): t is QueueTrigger => t.type === "queue").map(consumerConfig);
    if (producers.length === 0 && consumers.length === 0) return {};
    return {
      queues: {
        ...(producers.length > 0 ? { producers } : {}),
        ...(consumers.length > 0 ? { consumers } : {}),
      },
    };
  },
});
