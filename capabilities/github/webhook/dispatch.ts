import { FlowError, type NodeContext, type NodeKind } from "../../../kernel/index.ts";
import { capabilityError } from "../../codes.ts";
import { WORKFLOW_BINDING } from "../../workflows/declaration.ts";
import { isWorkflowBinding, startDurableRun } from "../../workflows/start.ts";
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
 * A delivery to a durable flow starts its Workflow instance, whose id derives from the delivery id: a redelivery
 * finds the instance and starts none. Its output is `{ runId, started }` (started false for a redelivery).
 */
async function startDurable(
  ctx: NodeContext,
  flowId: string,
  deliveryId: string,
  trigger: GithubTriggerEvent,
): Promise<{ runId: string; started: boolean }> {
  const workflow = ctx.env[WORKFLOW_BINDING];
  if (!isWorkflowBinding(workflow))
    throw capabilityError(
      "BINDING_MISSING",
      `flow \`${flowId}\` is durable, which needs the Workflow binding \`${WORKFLOW_BINDING}\` (\`[[workflows]]\` with class_name = "FlowsWorkflow"; flows package workers declares it)`,
      { details: { binding: WORKFLOW_BINDING, flowId } },
    );
  const { runId, created } = await startDurableRun(workflow, flowId, deliveryId, trigger, "github");
  return { runId, started: created };
}

/**
 * `github.webhook.dispatch`: runs every target flow as a subflow (a durable one: starts its instance) (concurrently, under this node's signal) with
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
    // No `ctx.signal` check: a run's nodes start only while it goes on, and the subflow runs follow this attempt
    // (they stop when it aborts); asking for the signal would create two AbortControllers per delivery.
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
        return target.durable
          ? startDurable(ctx, target.flow, event.deliveryId, trigger)
          : ctx.runSubflow(target.flow, trigger);
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
