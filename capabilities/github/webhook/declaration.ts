import type { JsonSchema, KindCatalog, NodeKindSpec } from "../../../flows/kinds/spec.ts";
import { GITHUB_WEBHOOK_CODES } from "../../codes.ts";
import { defineCapability } from "../../define.ts";

/**
 * GitHub webhooks: the pure half. The node kinds of the built-in webhook flow (`flows/builtin/github-webhook.yaml`):
 * verify the signature over the raw bytes, parse, match the delivery to the flows whose GitHub triggers take it,
 * claim the delivery id in the idempotency ledger, run the matched flows, complete the claim; or, when the matched
 * flows are all pure, run them first and record the delivery in one ledger call.
 */

export const KIND_GITHUB_WEBHOOK_VERIFY = "github.webhook.verify";
export const KIND_GITHUB_WEBHOOK_PARSE = "github.webhook.parse";
export const KIND_GITHUB_WEBHOOK_MATCH = "github.webhook.match";
export const KIND_GITHUB_WEBHOOK_CLAIM = "github.webhook.claim";
export const KIND_GITHUB_WEBHOOK_COMPLETE = "github.webhook.complete";
export const KIND_GITHUB_WEBHOOK_RECORD = "github.webhook.record";
export const KIND_GITHUB_WEBHOOK_DEFER = "github.webhook.defer";
export const KIND_GITHUB_WEBHOOK_DISPATCH = "github.webhook.dispatch";
export const KIND_GITHUB_WEBHOOK_ANSWER = "github.webhook.answer";

/** The secret binding a webhook is verified with when the trigger names none. */
export { DEFAULT_WEBHOOK_SECRET } from "../../../flows/ir/triggers.ts";
/** The suffix of the optional second secret accepted during a rotation: `GITHUB_WEBHOOK_SECRET_PREVIOUS`. */
export const PREVIOUS_SECRET_SUFFIX = "_PREVIOUS";
/** GitHub caps webhook payloads at 25 MB. */
export const MAX_WEBHOOK_BYTES = 25 * 1024 * 1024;
/** How long a claimed delivery id stays pending before another delivery may take it over (the run deadline). */
export const DEFAULT_CLAIM_LEASE_MS = 30_000;

const BINDING_NAME = "^[A-Z][A-Z0-9_]*$";
const object = (properties: Record<string, JsonSchema>): JsonSchema => ({
  type: "object",
  additionalProperties: false,
  properties,
});
const ledgerBinding = (): JsonSchema => ({
  type: "string",
  pattern: BINDING_NAME,
  description:
    "The FlowsRuntime Durable Object binding whose idempotency ledger remembers delivery ids; may be left out when the flow declares exactly one durableObject binding.",
});

const verify: NodeKindSpec = {
  kind: KIND_GITHUB_WEBHOOK_VERIFY,
  internal: true,
  description:
    "Checks a webhook delivery before anything reads it: `X-GitHub-Event` and `X-GitHub-Delivery` present (400 GITHUB_WEBHOOK_HEADERS_MISSING, listing the missing ones), a JSON content type (415 UNSUPPORTED_MEDIA_TYPE), and `X-Hub-Signature-256` of the form `sha256=<64 hex>` matching the HMAC of the raw body under the secret `config.secret` or, during a rotation, `<secret>_PREVIOUS` (401 GITHUB_WEBHOOK_SIGNATURE_INVALID). Input `body` is the raw bytes (a `body: raw` trigger) and `headers` the request headers; `out` is the verified body as text.",
  effect: "read",
  determinism: "stable",
  inputs: { body: { required: true }, headers: { required: true } },
  outputs: { out: { description: "The verified body, as text." } },
  configSchema: object({
    secret: {
      type: "string",
      pattern: BINDING_NAME,
      description:
        "The secret binding (a Worker secret; `.dev.vars` locally); default GITHUB_WEBHOOK_SECRET.",
    },
  }),
};

const parse: NodeKindSpec = {
  kind: KIND_GITHUB_WEBHOOK_PARSE,
  internal: true,
  description:
    "Parses a verified delivery: `out` is `{ name, event, action, deliveryId, hookId, installationId, payload }` (`name` is `issues.opened`, or `push` for an event without action). A body that is not a JSON object is 400 BODY_INVALID_JSON.",
  effect: "pure",
  determinism: "strict",
  inputs: { body: { required: true }, headers: { required: true } },
  outputs: { out: {} },
  configSchema: object({}),
};

const match: NodeKindSpec = {
  kind: KIND_GITHUB_WEBHOOK_MATCH,
  internal: true,
  description:
    "Picks the routes (`[{ flow, trigger, events, pure? }]`) whose events take the delivery `event`: `*`, `issues` (any action), `issues.*` (any action), `issues.opened`. `out` is `[{ flow, trigger }]`, possibly empty; `pure` is true when every route picked says `pure: true` (its flow has no effect: running it again changes nothing), so that the flows may run before the delivery is recorded.",
  effect: "pure",
  determinism: "strict",
  inputs: { event: { required: true }, routes: { required: true } },
  outputs: { out: {}, pure: {} },
  configSchema: object({}),
};

const claim: NodeKindSpec = {
  kind: KIND_GITHUB_WEBHOOK_CLAIM,
  internal: true,
  description:
    "Claims the delivery id in the FlowsRuntime idempotency ledger (key `github-delivery:<id>`). A new id: `fresh` is the key (pass it to `github.webhook.complete` once the work is done, or to `github.webhook.defer` once it is queued). An id already completed: `duplicate` is the id (GitHub redelivered it). An id deferred to a queue message not yet processed: `queued` is the id. An id claimed by a run still in progress: 409 IDEMPOTENCY_PENDING. A claim never completed (the run failed) runs out after `leaseMs`.",
  effect: "write",
  determinism: "best_effort",
  inputs: { deliveryId: { required: true } },
  outputs: { fresh: {}, duplicate: {}, queued: {} },
  configSchema: object({
    binding: ledgerBinding(),
    leaseMs: { type: "integer", minimum: 1000, maximum: 900000, description: "Default 30000." },
    ttlMs: {
      type: "integer",
      minimum: 60000,
      maximum: 2592000000,
      description: "How long a completed delivery id is remembered; default 24 hours.",
    },
  }),
  needs: ["durableObject"],
  defaultTimeout: "10s",
};

const complete: NodeKindSpec = {
  kind: KIND_GITHUB_WEBHOOK_COMPLETE,
  internal: true,
  description:
    "Marks a claimed delivery (input `key`, the claim's `fresh`) done in the ledger, with input `result` (JSON) recorded. `out` is the key. With `config.waitUntil` and a host that has a `waitUntil` (Workers), the write is handed to it and the run answers without waiting for the ledger; if the write is lost, the claim stays pending until its lease runs out (a redelivery meanwhile is 409 IDEMPOTENCY_PENDING), then the delivery can be processed again.",
  effect: "write",
  determinism: "best_effort",
  inputs: { key: { required: true }, result: {} },
  outputs: { out: {} },
  configSchema: object({
    binding: ledgerBinding(),
    waitUntil: {
      type: "boolean",
      description: "Write after the answer, through the host's waitUntil when it has one; default false.",
    },
  }),
  needs: ["durableObject"],
  defaultTimeout: "10s",
};

const record: NodeKindSpec = {
  kind: KIND_GITHUB_WEBHOOK_RECORD,
  internal: true,
  description:
    "Records a delivery whose routed flows were all pure and have already run, in one ledger call instead of claim and complete: a new id (input `deliveryId`) is claimed and completed at once with input `result` (JSON) recorded, and `fresh` is its key; an id already done gives `duplicate` (the delivery id: GitHub redelivered it, and the flows' results are dropped). An id held by a run in progress or deferred to a queue message: 409 IDEMPOTENCY_PENDING.",
  effect: "write",
  determinism: "best_effort",
  inputs: { deliveryId: { required: true }, result: {} },
  outputs: { fresh: {}, duplicate: {} },
  configSchema: object({
    binding: ledgerBinding(),
    ttlMs: {
      type: "integer",
      minimum: 60000,
      maximum: 2592000000,
      description: "How long the delivery id is remembered; default 24 hours.",
    },
  }),
  needs: ["durableObject"],
  defaultTimeout: "10s",
};

const defer: NodeKindSpec = {
  kind: KIND_GITHUB_WEBHOOK_DEFER,
  internal: true,
  description:
    "Hands a claimed delivery (input `key`, the claim's `fresh`) to the queue message just sent: the ledger keeps it held, not done, for the delivery TTL (24 hours) instead of the claim's lease, so a redelivery is answered `queued` and not queued again; the consumer completes it with `github.webhook.complete` once the routed flows have run. A delivery already completed stays completed. `out` is the key.",
  effect: "write",
  determinism: "best_effort",
  inputs: { key: { required: true } },
  outputs: { out: {} },
  configSchema: object({ binding: ledgerBinding() }),
  needs: ["durableObject"],
  defaultTimeout: "10s",
};

const dispatch: NodeKindSpec = {
  kind: KIND_GITHUB_WEBHOOK_DISPATCH,
  internal: true,
  description:
    "Runs the flows whose GitHub triggers take the delivery `event` (input `routes`, `[{ flow, trigger, events }]`, matched as by `github.webhook.match`; or input `targets`, `[{ flow, trigger }]`, already matched) as subflows, concurrently, each with the trigger `{ type: github, id, name, event, action, deliveryId, hookId, installationId, payload }`. `out` is `{ flows, outputs }` (outputs by flow id). When some fail, the first failure fails the node, once every flow has ended (a flow that succeeded is then journaled, and a retried queue message replays it rather than running it twice).",
  effect: "external",
  determinism: "nondeterministic",
  inputs: { event: { required: true }, routes: {}, targets: {} },
  outputs: { out: {} },
  configSchema: object({}),
  defaultTimeout: "5m",
};

const answer: NodeKindSpec = {
  kind: KIND_GITHUB_WEBHOOK_ANSWER,
  internal: true,
  description:
    "A join: the webhook's answer from what the flow's nodes did, as `status`, `headers` and `body` for a `respond` node. Inputs (each present only when its node ran): `event` (the parsed delivery), `duplicate` and `queued` (the claim's), `repeated` (the record's `duplicate`), `ran` and `dispatched` (`{ flows }` of the flows run), `sent` (the enqueue's), and any others to wait for. A redelivery: 200 `{ ok, duplicate: true, deliveryId }` and `x-flows-duplicate: true` (202 and `queued: true` while it waits in the queue); `ping`: 200 `{ ok, event: \"ping\", deliveryId }`; queued: 202 `{ ok, event, deliveryId, queued: true }`; else 200 `{ ok, event, deliveryId, queued: false, flows }`.",
  effect: "pure",
  determinism: "strict",
  inputs: {
    event: { required: true },
    duplicate: {},
    repeated: {},
    queued: {},
    ran: {},
    dispatched: {},
    sent: {},
    completed: {},
    deferred: {},
  },
  join: true,
  outputs: { status: {}, headers: {}, body: {} },
  configSchema: object({}),
};

/** The webhook kinds' specs, keyed by kind name. */
export const GITHUB_WEBHOOK_KIND_SPECS: KindCatalog = Object.freeze({
  [KIND_GITHUB_WEBHOOK_VERIFY]: verify,
  [KIND_GITHUB_WEBHOOK_PARSE]: parse,
  [KIND_GITHUB_WEBHOOK_MATCH]: match,
  [KIND_GITHUB_WEBHOOK_CLAIM]: claim,
  [KIND_GITHUB_WEBHOOK_COMPLETE]: complete,
  [KIND_GITHUB_WEBHOOK_RECORD]: record,
  [KIND_GITHUB_WEBHOOK_DEFER]: defer,
  [KIND_GITHUB_WEBHOOK_DISPATCH]: dispatch,
  [KIND_GITHUB_WEBHOOK_ANSWER]: answer,
});

/**
 * GitHub webhooks as a capability: the kinds `github.webhook.*`. Their bindings are a secret (set with
 * `wrangler secret put`, nothing to write in wrangler.toml) and the FlowsRuntime Durable Object, which the
 * Durable Objects capability declares.
 * @example GITHUB_WEBHOOK_DECLARATION.wrangler({ GITHUB_WEBHOOK_SECRET: { type: "secret" } }) // {}
 */
export const GITHUB_WEBHOOK_DECLARATION = defineCapability({
  name: "github.webhook",
  codes: GITHUB_WEBHOOK_CODES,
  bindingType: "secret",
  kinds: GITHUB_WEBHOOK_KIND_SPECS,
  runtime: { module: "flows-runtime/capabilities/github/webhook/kinds", export: "GITHUB_WEBHOOK_KINDS" },
  wrangler: () => ({}),
});
