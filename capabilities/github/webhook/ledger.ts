import { FlowError, type NodeContext, type NodeKind } from "../../../kernel/index.ts";
import { type BindingShape, binding, checkAborted } from "../../binding.ts";
import { capabilityError } from "../../codes.ts";
import { durableLedger, isNamespace, type RuntimeNamespace } from "../../durable-objects/runtime-client.ts";
import { runtimeSharding } from "../../durable-objects/shards.ts";
import { stringInput } from "../../inputs.ts";
import {
  DEFAULT_CLAIM_LEASE_MS,
  GITHUB_WEBHOOK_KIND_SPECS,
  KIND_GITHUB_WEBHOOK_CLAIM,
  KIND_GITHUB_WEBHOOK_COMPLETE,
  KIND_GITHUB_WEBHOOK_DEFER,
  KIND_GITHUB_WEBHOOK_RECORD,
} from "./declaration.ts";

/** How long a completed delivery id is remembered: 24 hours (GitHub redelivers on request, within days). */
export const DEFAULT_DELIVERY_TTL_MS = 24 * 60 * 60 * 1000;

/** The ledger key of a delivery. */
export const deliveryKey = (deliveryId: string): string => `github-delivery:${deliveryId}`;

const RUNTIME_SHAPE: BindingShape<RuntimeNamespace> = {
  label: "Durable Object namespace (FlowsRuntime)",
  section: "durable_objects.bindings",
  is: isNamespace,
};

const ledgerFailed = (key: string, cause: unknown): FlowError =>
  capabilityError("DO_FAILED", `the idempotency ledger could not record \`${key}\``, {
    cause,
    details: { key },
  });

/** The ledger of the kernel's idempotency keys too: the same objects, sharded as the host shards them. */
const ledgerOf = (ctx: NodeContext) =>
  durableLedger(binding(ctx, RUNTIME_SHAPE), { sharding: runtimeSharding(ctx.env) });

const ttlOf = (ctx: NodeContext): number =>
  typeof ctx.config.ttlMs === "number" ? ctx.config.ttlMs : DEFAULT_DELIVERY_TTL_MS;

const pending = (deliveryId: string): FlowError =>
  new FlowError(
    "IDEMPOTENCY_PENDING",
    `delivery ${deliveryId} is being processed by another run; retry later`,
    {
      details: { deliveryId },
    },
  );

/**
 * `github.webhook.claim`: `fresh` (the key, now ours), `duplicate` (the delivery id, already done), `queued`
 * (the delivery id, deferred to a queue message not yet processed), or 409 IDEMPOTENCY_PENDING when another run
 * holds it.
 */
export const githubWebhookClaimKind: NodeKind = {
  spec: GITHUB_WEBHOOK_KIND_SPECS[KIND_GITHUB_WEBHOOK_CLAIM]!,
  run: async (ctx) => {
    const deliveryId = stringInput(ctx, "deliveryId", 256);
    const ledger = ledgerOf(ctx);
    const key = deliveryKey(deliveryId);
    const ttl = ttlOf(ctx);
    const lease = typeof ctx.config.leaseMs === "number" ? ctx.config.leaseMs : DEFAULT_CLAIM_LEASE_MS;
    checkAborted(ctx);
    let claim: Awaited<ReturnType<typeof ledger.claim>>;
    try {
      claim = await ledger.claim(key, ttl, lease);
    } catch (error) {
      throw ledgerFailed(key, error);
    }
    if (claim.state === "new") return { fresh: key };
    if (claim.state === "done") return { duplicate: deliveryId };
    if (claim.deferred) return { queued: deliveryId };
    throw pending(deliveryId);
  },
};

/**
 * `github.webhook.complete`. With `config.waitUntil` and a host `waitUntil`, the write goes on after the answer: a
 * write that fails is logged, and the claim runs out after its lease (the delivery is then processed again).
 */
export const githubWebhookCompleteKind: NodeKind = {
  spec: GITHUB_WEBHOOK_KIND_SPECS[KIND_GITHUB_WEBHOOK_COMPLETE]!,
  run: async (ctx) => {
    const key = stringInput(ctx, "key", 300);
    const result = ctx.inputs.result;
    const ledger = ledgerOf(ctx);
    checkAborted(ctx);
    const write = ledger.complete(key, { result: result === undefined ? null : result });
    const later = ctx.config.waitUntil === true ? ctx.waitUntil : undefined;
    if (later) {
      later(
        Promise.resolve(write).catch((error: unknown) =>
          ctx.log(
            "warn",
            `the ledger could not record \`${key}\` done after the answer: the claim stays pending until its lease runs out`,
            {
              cause: error instanceof Error ? error.message : String(error),
            },
          ),
        ),
      );
      return { out: key };
    }
    try {
      await write;
    } catch (error) {
      throw ledgerFailed(key, error);
    }
    return { out: key };
  },
};

/**
 * `github.webhook.record`: the routed flows were pure and ran; the delivery is claimed and completed in one call
 * (`fresh`), or was done already (`duplicate`), or is held elsewhere (409 IDEMPOTENCY_PENDING).
 */
export const githubWebhookRecordKind: NodeKind = {
  spec: GITHUB_WEBHOOK_KIND_SPECS[KIND_GITHUB_WEBHOOK_RECORD]!,
  run: async (ctx) => {
    const deliveryId = stringInput(ctx, "deliveryId", 256);
    const result = ctx.inputs.result;
    const ledger = ledgerOf(ctx);
    const key = deliveryKey(deliveryId);
    // Not `checkAborted(ctx)`: the hot path's one ledger call, at the start of the node's only attempt (its effect
    // is not retried), where nothing can have aborted it; asking for the signal would create an AbortController.
    let recorded: Awaited<ReturnType<typeof ledger.record>>;
    try {
      recorded = await ledger.record(key, ttlOf(ctx), { result: result === undefined ? null : result });
    } catch (error) {
      throw ledgerFailed(key, error);
    }
    if (recorded.state === "new") return { fresh: key };
    if (recorded.state === "done") return { duplicate: deliveryId };
    throw pending(deliveryId);
  },
};

/** `github.webhook.defer`: the delivery was queued; the ledger holds it until the consumer completes it. */
export const githubWebhookDeferKind: NodeKind = {
  spec: GITHUB_WEBHOOK_KIND_SPECS[KIND_GITHUB_WEBHOOK_DEFER]!,
  run: async (ctx) => {
    const key = stringInput(ctx, "key", 300);
    const ledger = ledgerOf(ctx);
    checkAborted(ctx);
    try {
      await ledger.defer(key);
    } catch (error) {
      throw ledgerFailed(key, error);
    }
    return { out: key };
  },
};
