import { DEFAULT_RUNS_POLICY } from "../../../flows/ir/runs.ts";
import type { FlowDocument, RunsPolicy } from "../../../flows/ir/types.ts";
import { parseDuration } from "../../../flows/units/duration.ts";
import type { RunEvent, RunResult } from "../../../kernel/index.ts";
import type { LogSink } from "../run-log.ts";
import { RUNS_BINDING } from "./declaration.ts";
import { storedInput } from "./input.ts";
import { RECORD_LIMITS, type RunTriggerRef, runRecord } from "./record.ts";
import { isRunsNamespace, RunStore } from "./store.ts";

/**
 * Which runs the host records, and the recording of one run: after the run has answered, under `waitUntil`, one
 * call to the run's object and one to its index shard. A run that is not recorded costs a property read of `env`
 * (no binding) or a status check at its end (`failed`, and it did not fail): no event is collected for it, so the
 * kernel builds no event objects for a JSON route.
 */

/** The deployment's defaults (`createWorker(flows, { runs })`), for each field a flow's `runs:` leaves out. */
export interface RunsOptions extends RunsPolicy {
  /** Binding name of the FlowsRuns namespace (default `FLOWS_RUNS`); `false` never records. */
  binding?: string | false;
}

/** A flow's policy with every field resolved. */
export interface ResolvedRunsPolicy {
  record: NonNullable<RunsPolicy["record"]>;
  retentionMs: number;
  maxRuns: number;
}

/** The flow's `runs:`, over the deployment's defaults, over the built-in ones. */
export function resolveRunsPolicy(
  doc: FlowDocument | undefined,
  defaults: RunsPolicy = {},
): ResolvedRunsPolicy {
  const pick = <K extends keyof RunsPolicy>(key: K): NonNullable<RunsPolicy[K]> =>
    (doc?.runs?.[key] ?? defaults[key] ?? DEFAULT_RUNS_POLICY[key]) as NonNullable<RunsPolicy[K]>;
  return {
    record: pick("record"),
    retentionMs: parseDuration(pick("retention")) ?? (parseDuration(DEFAULT_RUNS_POLICY.retention) as number),
    maxRuns: pick("maxRuns"),
  };
}

/** One run being recorded: give `onEvent` (when set) to the kernel, and `done` the result. */
export interface RunRecording {
  /** Collects the run's events (set when they are recorded: `record: all`, or a route that has them anyway). */
  onEvent?: (event: RunEvent) => void;
  /**
   * The run ended: records it under `waitUntil` when the policy says so, with `input` (its trigger event: kept for a
   * rerun, see `./input.ts`) when given. Never throws.
   */
  done(result: RunResult, input?: unknown): void;
}

/** What a recording needs of the invocation. */
export interface RecordingContext {
  env: object;
  /** `ctx.waitUntil` of the invocation (the recording outlives the answer). */
  waitUntil: (promise: Promise<unknown>) => void;
  /** The runs' clock (the host's `runOptions` may inject one), for expiry. */
  clock?: { now(): number };
  /** The run this one reruns (`POST /_flows/runs/:id/rerun`). */
  rerunOf?: string;
  /** Record the run whatever its status (a rerun), unless the flow says `record: none`. */
  always?: boolean;
}

/** The run store of `env`, or undefined when the binding is missing or recording is off. */
export function runStoreIn(
  env: object,
  options: RunsOptions = {},
  clock?: { now(): number },
): RunStore | undefined {
  const name = options.binding ?? RUNS_BINDING;
  if (name === false) return undefined;
  const namespace = (env as Record<string, unknown>)[name];
  return isRunsNamespace(namespace) ? new RunStore(namespace, clock ? { clock } : {}) : undefined;
}

/**
 * The recorder of a set of flows: each flow's policy is resolved once, at start-up.
 * @example const recording = recorder.start(context, "echo", { type: "http", id: "http" }, false)
 */
export class RunsRecorder {
  readonly #policies = new Map<string, ResolvedRunsPolicy>();
  readonly #versions = new Map<string, string>();
  readonly #options: RunsOptions;
  readonly #log: LogSink;

  constructor(documents: Iterable<FlowDocument>, options: RunsOptions, log: LogSink) {
    this.#options = options;
    this.#log = log;
    for (const doc of documents) {
      this.#policies.set(doc.id, resolveRunsPolicy(doc, options));
      this.#versions.set(doc.id, doc.version);
    }
  }

  /** The resolved policy of a flow (the built-in defaults for an unknown one). */
  policy(flowId: string): ResolvedRunsPolicy {
    return this.#policies.get(flowId) ?? resolveRunsPolicy(undefined, this.#options);
  }

  /** Whether runs of `flowId` may be recorded with this `env`: the binding is there and the policy is not `none`. */
  records(env: object, flowId: string): boolean {
    if (this.#options.binding === false || this.policy(flowId).record === "none") return false;
    return isRunsNamespace((env as Record<string, unknown>)[this.#options.binding ?? RUNS_BINDING]);
  }

  /**
   * Starts recording a run of `flowId`, or undefined when nothing would be recorded (no binding, `record: none`).
   * `withEvents`: the run's events exist anyway (an SSE route, the viewer), so a `failed` run keeps them too.
   */
  start(
    context: RecordingContext,
    flowId: string,
    trigger: RunTriggerRef,
    withEvents: boolean,
  ): RunRecording | undefined {
    if (!this.records(context.env, flowId)) return undefined;
    const policy = this.policy(flowId);
    const collect = policy.record === "all" || withEvents;
    const events: RunEvent[] | undefined = collect ? [] : undefined;
    let missed = 0;
    const recording: RunRecording = {
      done: (result, input) => {
        if (policy.record === "failed" && result.status === "ok" && !context.always) return;
        try {
          const store = runStoreIn(context.env, this.#options, context.clock);
          if (!store) return;
          const identity = {
            flowId,
            flowVersion: this.#versions.get(flowId) ?? "",
            trigger,
            retentionMs: policy.retentionMs,
            ...(input === undefined ? {} : { input: storedInput(input) }),
            ...(context.rerunOf ? { rerunOf: context.rerunOf } : {}),
          };
          const { record, events: log } = runRecord(identity, result, events, missed);
          context.waitUntil(
            store.save(record, log, policy.maxRuns).catch((error: unknown) => this.#failed(result, error)),
          );
        } catch (error) {
          this.#failed(result, error);
        }
      },
    };
    if (events) {
      // Bounded as the stored log is: past the limit only the run's end is kept (the log says what was left out).
      recording.onEvent = (event) => {
        if (events.length < RECORD_LIMITS.events || event.type === "run.end") events.push(event);
        else missed++;
      };
    }
    return recording;
  }

  /** A recording that failed: one log line (the run itself was answered already). */
  #failed(result: RunResult, error: unknown): void {
    this.#log({
      level: "error",
      message: "run not recorded",
      runId: result.runId,
      cause: (error instanceof Error ? `${error.name}: ${error.message}` : String(error)).slice(0, 500),
    });
  }
}
