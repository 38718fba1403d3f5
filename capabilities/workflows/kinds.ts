import { isEventType } from "../../flows/ir/durable.ts";
import { createRegistry, FlowError, type KindRegistry, type NodeKind } from "../../kernel/index.ts";
import { checkAborted } from "../binding.ts";
import { capabilityError } from "../codes.ts";
import { KIND_DURABLE_EVENT, WORKFLOW_BINDING, WORKFLOWS_KIND_SPECS } from "./declaration.ts";
import { isWorkflowBinding, liveInstance } from "./start.ts";

/**
 * `durable.event`: sends `{ type, payload }` to durable run `runId` through the Worker's Workflow binding
 * (`FLOWS_WORKFLOW`), as `POST /_flows/runs/:id/events/:type` does. In a durable run it is a step of its own, so a
 * replay does not send it twice.
 */
export const durableEventKind: NodeKind = {
  spec: WORKFLOWS_KIND_SPECS[KIND_DURABLE_EVENT]!,
  run: async (ctx) => {
    const { runId, type, payload } = ctx.inputs;
    if (typeof runId !== "string" || runId === "")
      throw new FlowError("NODE_INPUT_INVALID", `node \`${ctx.nodeId}\`: input \`runId\` must be a run id`, {
        status: 422,
        expose: true,
      });
    if (!isEventType(type))
      throw new FlowError(
        "NODE_INPUT_INVALID",
        `node \`${ctx.nodeId}\`: input \`type\` must be at most 100 letters, digits, \`_\` and \`-\`, got ${JSON.stringify(type)}`,
        { status: 422, expose: true },
      );
    const workflow = ctx.env[WORKFLOW_BINDING];
    if (!isWorkflowBinding(workflow))
      throw capabilityError(
        "BINDING_MISSING",
        `binding \`${WORKFLOW_BINDING}\` is missing from env: a Worker with durable flows binds it (\`[[workflows]]\` with class_name = "FlowsWorkflow")`,
        { details: { binding: WORKFLOW_BINDING, nodeId: ctx.nodeId } },
      );
    checkAborted(ctx);
    let live: Awaited<ReturnType<typeof liveInstance>>;
    try {
      live = await liveInstance(workflow, runId);
    } catch (error) {
      throw capabilityError("DURABLE_EVENT_FAILED", `could not reach durable run \`${runId}\``, {
        cause: error,
      });
    }
    if (!live)
      throw capabilityError("DURABLE_RUN_NOT_FOUND", `no durable run \`${runId}\` to send \`${type}\` to`, {
        details: { runId, type },
      });
    if ("ended" in live)
      throw capabilityError(
        "DURABLE_RUN_NOT_FOUND",
        `durable run \`${runId}\` has ended (${live.ended}): it waits for no event`,
        { details: { runId, type, status: live.ended } },
      );
    checkAborted(ctx);
    try {
      await live.instance.sendEvent({ type, payload: payload ?? null });
    } catch (error) {
      throw capabilityError(
        "DURABLE_EVENT_FAILED",
        `could not send \`${type}\` to durable run \`${runId}\``,
        {
          cause: error,
        },
      );
    }
    return { out: { runId, type } };
  },
};

/** The Workflows kinds, as a registry. */
export const WORKFLOWS_KINDS: KindRegistry = createRegistry(durableEventKind);
