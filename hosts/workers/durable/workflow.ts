import { WorkflowEntrypoint, type WorkflowEvent, type WorkflowStep } from "cloudflare:workers";
import { NonRetryableError } from "cloudflare:workflows";
import { encodeFlowError, type PlatformStep, workflowEngine } from "./engine.ts";
import { type DurableParams, runDurable } from "./run.ts";

/**
 * The Workflow class of a Worker's durable flows (Worker-only: it imports `cloudflare:workers`). Each instance is
 * one run, its id the run id; its output is the run's output. A run that did not end `ok` throws its error
 * (encoded, see engine.ts), so that the platform shows the instance `errored` and the run API reads the envelope
 * back from it.
 */
export class FlowsWorkflow extends WorkflowEntrypoint<object, DurableParams> {
  override async run(event: Readonly<WorkflowEvent<DurableParams>>, step: WorkflowStep): Promise<unknown> {
    const engine = workflowEngine(
      step as unknown as PlatformStep,
      (message) => new NonRetryableError(message),
    );
    const result = await runDurable(
      event.payload,
      event.instanceId,
      event.timestamp.getTime(),
      this.env,
      engine,
    );
    if (result.status === "ok") return result.output ?? null;
    // A plain Error: the platform keeps its message as the instance's error (a NonRetryableError thrown here would be
    // replaced by its own "a step threw an NonRetryableError" message).
    throw new Error(encodeFlowError(result.error));
  }
}
