import { FlowError, type NodeKind } from "../../../kernel/index.ts";
import { GITHUB_WEBHOOK_KIND_SPECS, KIND_GITHUB_WEBHOOK_DISPATCH } from "./declaration.ts";
import {
  type GithubTriggerEvent,
  isWebhookRoute,
  matchRoutes,
  type WebhookEvent,
  type WebhookTarget,
} from "./event.ts";

const isTarget = (value: unknown): value is WebhookTarget => {
  const t = value as Partial<WebhookTarget> | null;
  return typeof t?.flow === "string" && typeof t.trigger === "string";
};

/**
 * `github.webhook.dispatch`: runs every target flow as a subflow (concurrently, under this node's signal) with
 * its GitHub trigger event; `out` is `{ flows, outputs }`. When some fail, the first failure fails the node once all
 * have ended.
 */
export const githubWebhookDispatchKind: NodeKind = {
  spec: GITHUB_WEBHOOK_KIND_SPECS[KIND_GITHUB_WEBHOOK_DISPATCH]!,
  run: async (ctx) => {
    const event = ctx.inputs.event as WebhookEvent | null;
    const routes = ctx.inputs.routes;
    if (routes !== undefined && (!Array.isArray(routes) || !routes.every(isWebhookRoute))) {
      throw new FlowError(
        "NODE_INPUT_INVALID",
        `node \`${ctx.nodeId}\`: input \`routes\` must be a list of { flow, trigger, events }`,
        { status: 422, expose: true },
      );
    }
    const targets =
      routes !== undefined
        ? matchRoutes(routes, event?.event ?? "", event?.action ?? null)
        : ctx.inputs.targets;
    if (typeof event?.event !== "string" || typeof event.deliveryId !== "string") {
      throw new FlowError(
        "NODE_INPUT_INVALID",
        `node \`${ctx.nodeId}\`: input \`event\` must be a parsed delivery`,
        {
          status: 422,
          expose: true,
        },
      );
    }
    if (!Array.isArray(targets) || !targets.every(isTarget)) {
      throw new FlowError(
        "NODE_INPUT_INVALID",
        `node \`${ctx.nodeId}\`: input \`targets\` must be a list of { flow, trigger }`,
        { status: 422, expose: true },
      );
    }
    ctx.signal.throwIfAborted();
    // Every flow runs to its end before the first failure fails the node: a flow that succeeded has then been
    // journaled, and a retried queue message replays it instead of running it twice.
    const settled = await Promise.allSettled(
      targets.map((target) => {
        const trigger: GithubTriggerEvent = {
          type: "github",
          id: target.trigger,
          name: event.name,
          event: event.event,
          action: event.action,
          deliveryId: event.deliveryId,
          hookId: event.hookId,
          installationId: event.installationId,
          payload: event.payload,
        };
        return ctx.runSubflow(target.flow, trigger);
      }),
    );
    const failure = settled.find((r) => r.status === "rejected");
    if (failure) throw failure.reason;
    const results = settled.map((r) => (r as PromiseFulfilledResult<unknown>).value);
    const outputs: Record<string, unknown> = {};
    targets.forEach((target, i) => {
      outputs[target.flow] = results[i] ?? null;
    });
    return { out: { flows: targets.map((t) => t.flow), outputs } };
  },
};
