import type { Context } from "hono";
import { newRunId, type RunOptions, runFlow, toEnvelope } from "../../../kernel/index.ts";
import { hostError } from "../codes.ts";
import type { FlowSet } from "../flow-set.ts";
import { errorResponse } from "../responses.ts";
import { requestContext } from "./host.ts";
import { replayable, storedInput, triggerOf } from "./input.ts";
import type { RunRecord } from "./record.ts";
import type { RunsRecorder } from "./recording.ts";
import { startContinuingResponse } from "./resume.ts";
import type { RunStore } from "./store.ts";

// biome-ignore lint/suspicious/noExplicitAny: mounted on the host's app whatever its env type.
type AnyContext = Context<any>;

/** Answers `POST /_flows/runs/:id/rerun` for a stored record. */
export type RerunHandler = (c: AnyContext, record: RunRecord, store: RunStore) => Promise<Response>;

/**
 * `POST /_flows/runs/:id/rerun`: the same flow version and input (the stored trigger event), a new run id. A run
 * of a continuing route (`onDisconnect: continue`) starts again in its own object and the answer is 202 with its
 * id (follow it at `/_flows/runs/<id>/events`); any other runs in the request and the answer is 200
 * `{ runId, rerunOf, status, output | error }`. The rerun is recorded (unless its flow says `record: none`),
 * `rerunOf` naming the run it reran. Refused: another version deployed (`RUN_VERSION_CHANGED`), no replayable
 * input (`RUN_INPUT_UNAVAILABLE`).
 */
export function rerunHandler(
  set: FlowSet,
  recorder: RunsRecorder,
  options: { runOptions?: (env: object) => Partial<RunOptions> },
  runOptionsOf: (env: object) => RunOptions,
): RerunHandler {
  return async (c, record, store) => {
    const requestId: string = c.get("runId");
    const doc = set.documents.get(record.flowId);
    const plan = set.plans.get(record.flowId);
    if (!doc || !plan)
      return errorResponse(
        hostError(
          "FLOW_NOT_FOUND",
          `run \`${record.runId}\` is of flow \`${record.flowId}\`, which this Worker does not serve`,
        ),
        requestId,
      );
    if (doc.version !== record.flowVersion)
      return errorResponse(
        hostError(
          "RUN_VERSION_CHANGED",
          `run \`${record.runId}\` ran version ${record.flowVersion} of \`${record.flowId}\`, and ${doc.version} is deployed now: a rerun is the same version and input`,
          { recorded: record.flowVersion, deployed: doc.version },
        ),
        requestId,
      );
    if (record.input === undefined || !replayable(record.input))
      return errorResponse(
        hostError(
          "RUN_INPUT_UNAVAILABLE",
          `run \`${record.runId}\` has no input to replay: ${record.input === undefined ? "none was stored" : "its body was a stream, or its input was over 64 KiB"}`,
        ),
        requestId,
      );
    const runId = newRunId();
    const trigger = triggerOf(record.input);
    const route = set.http.find((r) => r.flowId === record.flowId && r.triggerId === record.trigger.id);
    if (record.trigger.type === "http" && route?.onDisconnect === "continue") {
      const started = await startContinuingResponse(store, {
        runId,
        flowId: record.flowId,
        flowVersion: record.flowVersion,
        trigger: record.trigger,
        event: trigger,
        input: storedInput(trigger),
        rerunOf: record.runId,
      });
      await started.body?.cancel();
      if (started.status !== 200) return started;
      return c.json(
        { runId, rerunOf: record.runId, status: "running", events: `/_flows/runs/${runId}/events` },
        202,
      );
    }
    const env = (c.env ?? {}) as object;
    const base = runOptionsOf(env);
    const context = {
      ...requestContext(c, options.runOptions?.(env).clock),
      rerunOf: record.runId,
      always: true,
    };
    const recording = recorder.start(context, record.flowId, record.trigger, false);
    const result = await runFlow(plan, {
      ...base,
      runId,
      trigger,
      ...(recording?.onEvent ? { onEvent: recording.onEvent } : {}),
    });
    recording?.done(result, trigger);
    const answer: Record<string, unknown> = { runId, rerunOf: record.runId, status: result.status };
    if (result.status === "ok") answer.output = result.output ?? null;
    else answer.error = toEnvelope(result.error, runId).error;
    return c.json(answer);
  };
}
