import { explainSkippedOutput, type RunResult } from "../../kernel/index.ts";

/** Where run log lines go; `console.log` of one JSON line by default (Workers Logs index JSON fields). */
export type LogSink = (line: Record<string, unknown>) => void;

export const consoleSink: LogSink = (line) => console.log(JSON.stringify(line));

/**
 * One structured line per run: flow, trigger, run id, status, duration, per-node durations (the skipped nodes
 * apart), why the run has no output when its output node was skipped (level `warn`), and the error code.
 * Never the trigger's body, headers or the error's details: they may hold secrets or personal data.
 */
export function logRun(sink: LogSink, flowId: string, trigger: string, result: RunResult): void {
  const nodes: Record<string, number> = {};
  let skipped: string[] | undefined;
  const timings = result.timings.nodes;
  for (const id in timings) {
    const timing = timings[id]!;
    if (timing.status !== "skipped") nodes[id] = timing.durationMs;
    else {
      skipped ??= [];
      skipped.push(id);
    }
  }
  const line: Record<string, unknown> = {
    level: result.status !== "ok" ? "error" : result.outputSkipped ? "warn" : "info",
    message: "flow run",
    flowId,
    trigger,
    runId: result.runId,
    status: result.status,
    durationMs: result.timings.durationMs,
    nodes,
  };
  if (skipped) line.skipped = skipped;
  // An HTTP run without an output is answered 500 NO_RESPONSE: the line says why.
  if (result.outputSkipped) line.noOutput = explainSkippedOutput(result.outputSkipped);
  if (result.error) {
    line.errorCode = result.error.code;
    if (result.error.nodeId) line.nodeId = result.error.nodeId;
    // The log is for operators: it keeps the message and cause that a client never sees (capped in size).
    line.errorMessage = result.error.message.slice(0, 500);
    if (result.error.cause !== undefined) line.cause = describeCause(result.error.cause);
  }
  sink(line);
}

function describeCause(cause: unknown): string {
  const text = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
  return text.slice(0, 500);
}
