import type { FlowDocument } from "../../../flows/ir/types.ts";
import type { RunResult } from "../../../kernel/index.ts";
import type { LogSink } from "../run-log.ts";
import type { RunRecording } from "../runs/recording.ts";
import { metricsBindingOf } from "./declaration.ts";

/**
 * One data point per run into the flow's Analytics Engine dataset (columns: `METRICS_COLUMNS`). `writeDataPoint`
 * is fire-and-forget (the platform buffers it), so a run's answer never waits for it, and a write that throws is
 * logged, never the run's failure.
 */

/** What the writer needs of an Analytics Engine binding. */
export interface DatasetBinding {
  writeDataPoint(point: { indexes?: string[]; blobs?: (string | null)[]; doubles?: number[] }): void;
}

const isDataset = (value: unknown): value is DatasetBinding =>
  typeof (value as DatasetBinding | null)?.writeDataPoint === "function";

interface FlowMetrics {
  binding: string;
  version: string;
  sample: number;
  failuresAlways: boolean;
}

/**
 * The data point of one run (pure: the tests and the docs' layout share it). `weight` is how many runs it stands
 * for (1 / the flow's sample for a sampled run): `SUM(_sample_interval * double5)` counts runs.
 */
export function runDataPoint(
  flowId: string,
  flowVersion: string,
  trigger: { type: string; id: string },
  result: RunResult,
  weight = 1,
): { indexes: string[]; blobs: string[]; doubles: number[] } {
  let nodes = 0;
  let retries = 0;
  let slowest = "";
  let slowestMs = 0;
  for (const [id, timing] of Object.entries(result.timings.nodes)) {
    if (timing.status === "skipped") continue;
    nodes++;
    retries += Math.max(0, timing.attempts - 1);
    if (timing.durationMs >= slowestMs) {
      slowestMs = timing.durationMs;
      slowest = id;
    }
  }
  return {
    indexes: [flowId],
    blobs: [
      trigger.type,
      trigger.id,
      result.status,
      result.error?.code ?? "",
      flowVersion,
      result.error?.nodeId ?? "",
      slowest,
    ],
    doubles: [result.timings.durationMs, nodes, retries, slowestMs, weight],
  };
}

/**
 * The metrics of a set of flows, resolved once: `write` after each run. A flow without `metrics:`, or an `env`
 * without its binding, writes nothing (a property read).
 */
export class RunMetrics {
  readonly #flows = new Map<string, FlowMetrics>();
  readonly #log: LogSink;
  readonly #random: () => number;

  constructor(documents: Iterable<FlowDocument>, log: LogSink, random: () => number = Math.random) {
    this.#log = log;
    this.#random = random;
    for (const doc of documents) {
      const binding = metricsBindingOf(doc);
      if (!binding) continue;
      this.#flows.set(doc.id, {
        binding,
        version: doc.version,
        sample: doc.metrics?.sample ?? 1,
        failuresAlways: doc.metrics?.failures !== "sampled",
      });
    }
  }

  /** Whether runs of `flowId` write metrics (a flow with `metrics:`). */
  has(flowId: string): boolean {
    return this.#flows.has(flowId);
  }

  /**
   * `recording` (the run store's, or none) with the run's data point written first when it is done; `recording`
   * itself for a flow without metrics (nothing allocated).
   */
  around(
    env: object,
    flowId: string,
    trigger: { type: string; id: string },
    recording: RunRecording | undefined,
  ): RunRecording | undefined {
    if (!this.#flows.has(flowId)) return recording;
    const done = (result: RunResult, input?: unknown): void => {
      this.write(env, flowId, trigger, result);
      recording?.done(result, input);
    };
    return recording?.onEvent ? { onEvent: recording.onEvent, done } : { done };
  }

  /** Writes the run's data point when its flow has metrics, the binding is there and the sample says so. */
  write(env: object, flowId: string, trigger: { type: string; id: string }, result: RunResult): void {
    const flow = this.#flows.get(flowId);
    if (!flow) return;
    const dataset = (env as Record<string, unknown>)[flow.binding];
    if (!isDataset(dataset)) return;
    const always = flow.sample >= 1 || (flow.failuresAlways && result.status !== "ok");
    if (!always && !(this.#random() < flow.sample)) return;
    try {
      dataset.writeDataPoint(
        runDataPoint(flowId, flow.version, trigger, result, always ? 1 : 1 / flow.sample),
      );
    } catch (error) {
      this.#log({
        level: "warn",
        message: "run metrics not written",
        flowId,
        runId: result.runId,
        cause: (error instanceof Error ? `${error.name}: ${error.message}` : String(error)).slice(0, 500),
      });
    }
  }
}
