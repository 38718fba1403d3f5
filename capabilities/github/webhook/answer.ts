import type { NodeKind } from "../../../kernel/index.ts";
import { GITHUB_WEBHOOK_KIND_SPECS, KIND_GITHUB_WEBHOOK_ANSWER } from "./declaration.ts";
import type { WebhookEvent } from "./event.ts";

/** A webhook answer: what the flow's `respond` node sends. */
export interface WebhookAnswer {
  status: 200 | 202;
  headers: Readonly<Record<string, string>>;
  body: Record<string, unknown>;
}

// Shared and frozen: the `respond` node and the host only read them.
const DUPLICATE_HEADERS: Readonly<Record<string, string>> = Object.freeze({ "x-flows-duplicate": "true" });
const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze({});

/** The flows a delivery ran, from the `run` node's or the `dispatch` node's `{ flows }` (an empty list when none). */
const flowsOf = (value: unknown): unknown => (value as { flows?: unknown } | undefined)?.flows ?? [];

/**
 * The answer to a delivery, from what the webhook flow's nodes did (the inputs of `github.webhook.answer`: only
 * those whose node ran are present):
 * - a redelivery already done (`duplicate` from the claim, `repeated` from the record): 200 `{ ok, duplicate,
 *   deliveryId }` and `x-flows-duplicate: true`; still waiting in the queue (`queued`): the same with 202 and
 *   `queued: true`;
 * - `ping`: 200 `{ ok, event: "ping", deliveryId }`;
 * - sent to the queue (`sent`): 202 `{ ok, event, deliveryId, queued: true }`;
 * - otherwise the routed flows ran: 200 `{ ok, event, deliveryId, queued: false, flows }`.
 * @example webhookAnswer({ event, ran: { flows: ["label-issue"] } }).body // { ok: true, event: "issues.opened", …, flows: ["label-issue"] }
 */
export function webhookAnswer(outcome: Readonly<Record<string, unknown>>): WebhookAnswer {
  const has = (name: string): boolean => Object.hasOwn(outcome, name);
  const event = outcome.event as Partial<WebhookEvent> | undefined;
  const deliveryId = event?.deliveryId;
  if (has("duplicate") || has("repeated"))
    return { status: 200, headers: DUPLICATE_HEADERS, body: { ok: true, duplicate: true, deliveryId } };
  if (has("queued"))
    return {
      status: 202,
      headers: DUPLICATE_HEADERS,
      body: { ok: true, duplicate: true, deliveryId, queued: true },
    };
  if (event?.event === "ping")
    return { status: 200, headers: NO_HEADERS, body: { ok: true, event: "ping", deliveryId } };
  if (has("sent"))
    return {
      status: 202,
      headers: NO_HEADERS,
      body: { ok: true, event: event?.name, deliveryId, queued: true },
    };
  const flows = flowsOf(has("dispatched") ? outcome.dispatched : outcome.ran);
  return {
    status: 200,
    headers: NO_HEADERS,
    body: { ok: true, event: event?.name, deliveryId, queued: false, flows },
  };
}

/**
 * `github.webhook.answer`: a join (it runs once every node it reads has ended, with the inputs of those that ran)
 * whose ports `status`, `headers` and `body` are the webhook's answer (`webhookAnswer`), for a `respond` node to
 * send by plain references: the answer is decided in one function call rather than by CEL expressions per request.
 */
export const githubWebhookAnswerKind: NodeKind = {
  spec: GITHUB_WEBHOOK_KIND_SPECS[KIND_GITHUB_WEBHOOK_ANSWER]!,
  run: (ctx) => {
    const answer = webhookAnswer(ctx.inputs);
    return { status: answer.status, headers: answer.headers, body: answer.body };
  },
};
