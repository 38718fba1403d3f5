import { createRegistry, type KindRegistry, type NodeContext, type NodeKind } from "../../kernel/index.ts";
import { type BindingShape, binding, checkAborted, hasMethods } from "../binding.ts";
import { platformError } from "../codes.ts";
import { describe, inputError, optionalInteger } from "../inputs.ts";
import { KIND_QUEUES_SEND, KIND_QUEUES_SEND_BATCH, QUEUE_LIMITS, QUEUES_KIND_SPECS } from "./declaration.ts";

/** The run-time half of Queues: each kind reads its producer lazily from `env[config.binding]`. */

export const QUEUE_SHAPE: BindingShape<Queue<unknown>> = {
  label: "queue producer",
  section: "queues.producers",
  is: (value): value is Queue<unknown> => hasMethods(value, "send", "sendBatch"),
};

type ContentType = "json" | "text" | "bytes" | "v8";
const CONTENT_TYPES: readonly string[] = ["json", "text", "bytes", "v8"];

function contentTypeOf(ctx: NodeContext, raw: unknown, input: string): ContentType | undefined {
  if (raw === undefined || raw === null)
    return (ctx.config.contentType as ContentType | undefined) ?? undefined;
  if (typeof raw !== "string" || !CONTENT_TYPES.includes(raw))
    throw inputError(ctx, input, `must be one of json, text, bytes, v8, got ${describe(raw)}`);
  return raw as ContentType;
}

const failed = (ctx: NodeContext, op: string, cause: unknown) =>
  platformError("QUEUE_SEND_FAILED", `${op} to \`${String(ctx.config.binding)}\``, cause, {
    binding: ctx.config.binding,
  });

/**
 * Refuses a message the queue would refuse (over 128 KB, or JSON nested too deep to serialise) as the node's bad
 * input (422), before sending: it is the payload's fault, not the platform's (which would be a 502).
 */
function checkMessageSize(
  ctx: NodeContext,
  body: unknown,
  contentType: ContentType | undefined,
  input: string,
): void {
  if (contentType === "v8") return;
  let bytes: number;
  if (body instanceof Uint8Array || body instanceof ArrayBuffer) bytes = body.byteLength;
  else if (typeof body === "string" && contentType === "text")
    bytes = new TextEncoder().encode(body).byteLength;
  else {
    let text: string | undefined;
    try {
      text = JSON.stringify(body);
    } catch (error) {
      throw inputError(ctx, input, `cannot be sent as JSON: ${(error as Error).message}`);
    }
    bytes = text === undefined ? 0 : new TextEncoder().encode(text).byteLength;
  }
  if (bytes > QUEUE_LIMITS.maxMessageBytes)
    throw inputError(
      ctx,
      input,
      `is ${bytes} bytes, over the queue's limit of ${QUEUE_LIMITS.maxMessageBytes} bytes per message`,
    );
}

const delay = (ctx: NodeContext) => optionalInteger(ctx, "delaySeconds", 0, QUEUE_LIMITS.maxDelaySeconds);

export const queuesSendKind: NodeKind = {
  spec: QUEUES_KIND_SPECS[KIND_QUEUES_SEND]!,
  run: async (ctx) => {
    const queue = binding(ctx, QUEUE_SHAPE);
    const body = ctx.inputs.body;
    if (body === undefined) throw inputError(ctx, "body", "must be given");
    const delaySeconds = delay(ctx);
    const contentType = contentTypeOf(ctx, ctx.inputs.contentType, "contentType");
    checkMessageSize(ctx, body, contentType, "body");
    checkAborted(ctx);
    try {
      await queue.send(body, {
        ...(delaySeconds === undefined ? {} : { delaySeconds }),
        ...(contentType === undefined ? {} : { contentType }),
      });
    } catch (error) {
      // The platform's serialiser overflows its stack on a deeply nested body: the payload's fault.
      if (error instanceof RangeError)
        throw inputError(ctx, "body", `cannot be serialised: ${error.message}`);
      throw failed(ctx, "queues.send", error);
    }
    return { out: 1 };
  },
};

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

function batchInput(ctx: NodeContext): MessageSendRequest<unknown>[] {
  const raw = ctx.inputs.messages;
  if (!Array.isArray(raw) || raw.length === 0 || raw.length > QUEUE_LIMITS.batchMessages)
    throw inputError(
      ctx,
      "messages",
      `must be a list of 1 to ${QUEUE_LIMITS.batchMessages} messages, got ${Array.isArray(raw) ? `${raw.length}` : describe(raw)}`,
    );
  const wrapped = raw.every((m) => isRecord(m) && "body" in m);
  return raw.map((m, i) => {
    if (!wrapped) {
      const contentType = contentTypeOf(ctx, undefined, "messages");
      return { body: m, ...(contentType ? { contentType } : {}) };
    }
    const item = m as Record<string, unknown>;
    const request: MessageSendRequest<unknown> = { body: item.body };
    const contentType = contentTypeOf(ctx, item.contentType, `messages[${i}].contentType`);
    if (contentType) request.contentType = contentType;
    if (item.delaySeconds !== undefined) {
      const d = typeof item.delaySeconds === "bigint" ? Number(item.delaySeconds) : item.delaySeconds;
      if (typeof d !== "number" || !Number.isInteger(d) || d < 0 || d > QUEUE_LIMITS.maxDelaySeconds)
        throw inputError(
          ctx,
          `messages[${i}].delaySeconds`,
          `must be a whole number from 0 to ${QUEUE_LIMITS.maxDelaySeconds}`,
        );
      request.delaySeconds = d;
    }
    return request;
  });
}

export const queuesSendBatchKind: NodeKind = {
  spec: QUEUES_KIND_SPECS[KIND_QUEUES_SEND_BATCH]!,
  run: async (ctx) => {
    const queue = binding(ctx, QUEUE_SHAPE);
    const messages = batchInput(ctx);
    messages.forEach((m, i) => {
      checkMessageSize(ctx, m.body, m.contentType as ContentType | undefined, `messages[${i}]`);
    });
    const delaySeconds = delay(ctx);
    checkAborted(ctx);
    try {
      await queue.sendBatch(messages, delaySeconds === undefined ? undefined : { delaySeconds });
    } catch (error) {
      if (error instanceof RangeError)
        throw inputError(ctx, "messages", `cannot be serialised: ${error.message}`);
      throw failed(ctx, "queues.sendBatch", error);
    }
    return { out: messages.length };
  },
};

/** The Queues kinds, keyed by kind name. */
export const QUEUES_KINDS: KindRegistry = createRegistry(queuesSendKind, queuesSendBatchKind);
