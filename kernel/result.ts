import type { FlowError } from "./errors.ts";
import type { NodeTiming, RunStatus, RunTimings, SkipStep } from "./events.ts";
import { ChunkStream, isHandedOff } from "./stream.ts";

/**
 * The result of a run: a status, the output value or a stream, the error (when not ok), the run id and
 * timings. `stream` is set when the output is a stream, or is a response whose `body` is one.
 */
export interface RunResult {
  runId: string;
  status: RunStatus;
  /** The output node's value (`out` port); streams inside it are ChunkStreams. */
  output?: unknown;
  /** The output's stream, readable from its first chunk. */
  stream?: ReadableStream<unknown>;
  error?: FlowError;
  timings: RunTimings;
  /**
   * Set when the run ended `ok` but its output node (each candidate: `output`, or every `respond` node) was skipped,
   * so it has no output: per candidate, why (`NodeTable.skipTrail`). A host that answers with the output says so.
   */
  outputSkipped?: Record<string, SkipStep[]>;
}

/**
 * A run's timings. The per-node part is built on first read (most callers of a fast run never look at it);
 * `toJSON` includes it.
 */
class Timings implements RunTimings {
  readonly startedAt: number;
  readonly endedAt: number;
  readonly durationMs: number;
  readonly #table: { timings(): Record<string, NodeTiming> };
  #nodes: Record<string, NodeTiming> | undefined = undefined;

  constructor(table: { timings(): Record<string, NodeTiming> }, startedAt: number, endedAt: number) {
    this.startedAt = startedAt;
    this.endedAt = endedAt;
    this.durationMs = endedAt - startedAt;
    this.#table = table;
  }

  get nodes(): Record<string, NodeTiming> {
    this.#nodes ??= this.#table.timings();
    return this.#nodes;
  }

  toJSON(): RunTimings {
    return {
      startedAt: this.startedAt,
      endedAt: this.endedAt,
      durationMs: this.durationMs,
      nodes: this.nodes,
    };
  }
}

/**
 * Why a run has no output (`RunResult.outputSkipped`), in a sentence per output node, from it back to where the
 * skipping began, so that a flow's author sees which `when` or branch left the run without one:
 * "its output node `reply` was skipped. `reply` reads `find`, which was skipped; `find`'s `when` was false".
 */
export function explainSkippedOutput(skipped: Record<string, SkipStep[]>): string {
  const ids = Object.keys(skipped);
  const subject =
    ids.length === 1 ? `its output node \`${ids[0]}\` was skipped` : "none of its respond nodes ran";
  return `${subject}. ${ids.map((id) => skipped[id]!.map(describeSkip).join("; ")).join(". ")}`;
}

function describeSkip(step: SkipStep): string {
  if (step.reason === "when") return `\`${step.nodeId}\`'s \`when\` was false`;
  if (step.reason === "port")
    return `\`${step.nodeId}\` reads \`${step.source}.${step.port}\`, which \`${step.source}\` did not emit`;
  return `\`${step.nodeId}\` reads \`${step.source}\`, which was skipped`;
}

/** Assembles a RunResult at the end of a run. */
export function buildResult(
  runId: string,
  table: { timings(): Record<string, NodeTiming> },
  status: RunStatus,
  error: FlowError | undefined,
  output: unknown,
  startedAt: number,
  endedAt: number,
): RunResult {
  const result: RunResult = { runId, status, timings: new Timings(table, startedAt, endedAt) };
  if (output !== undefined) {
    result.output = output;
    const stream = outputStream(output);
    if (stream) result.stream = stream;
  }
  if (status !== "ok" && error) result.error = error;
  return result;
}

/** The ChunkStream of an output: the output itself, or its `body` (a `respond` node's answer). */
export function streamOf(output: unknown): ChunkStream | undefined {
  const stream = bodyOf(output);
  return stream instanceof ChunkStream ? stream : undefined;
}

/**
 * The stream of an output (as `streamOf`), readable from its first chunk: a new reader of its ChunkStream, or a
 * handed-off stream itself (its one reader is whoever asked: `stream.ts` `handOff`).
 */
export function outputStream(output: unknown): ReadableStream<unknown> | undefined {
  const stream = bodyOf(output);
  if (stream instanceof ChunkStream) return stream.toReadableStream();
  return isHandedOff(stream) ? stream : undefined;
}

/** The output itself when it is a stream, else its `body`. */
function bodyOf(output: unknown): unknown {
  if (typeof output !== "object" || output === null) return undefined;
  if (output instanceof ChunkStream || output instanceof ReadableStream) return output;
  return (output as { body?: unknown }).body;
}
