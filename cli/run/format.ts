import { ChunkStream, type RunEvent } from "../../kernel/index.ts";
import type { Colors } from "../color.ts";

/** Longest detail shown on a pretty event line; `--json` has everything. */
const DETAIL_LIMIT = 100;

/**
 * JSON.stringify's replacer for run values: bytes and streams become short descriptions, so that any event
 * or output prints as JSON.
 */
export function jsonReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Uint8Array) return { bytes: value.byteLength };
  if (value instanceof ArrayBuffer) return { bytes: value.byteLength };
  if (typeof ReadableStream !== "undefined" && value instanceof ReadableStream) return { stream: true };
  if (typeof value === "bigint") return value.toString();
  return value;
}

/** One JSON line of an event (`--json`). */
export const jsonLine = (value: unknown): string => `${JSON.stringify(value, jsonReplacer)}\n`;

const short = (value: unknown): string => {
  const text = JSON.stringify(value, jsonReplacer) ?? "undefined";
  return text.length > DETAIL_LIMIT ? `${text.slice(0, DETAIL_LIMIT - 1)}…` : text;
};

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? "" : "s"}`;

/** The short detail of an event, after its node id. */
function detail(event: RunEvent, kinds: ReadonlyMap<string, string>, c: Colors): string {
  switch (event.type) {
    case "run.start":
      return `flow ${c.bold(event.flowId)}@${event.flowVersion} run ${event.runId}`;
    case "node.start":
      return c.dim(kinds.get(event.nodeId) ?? "");
    case "node.output":
      return Object.entries(event.outputs)
        .map(([port, value]) => `${port}=${short(value)}`)
        .join(" ")
        .concat(event.replayed ? c.dim(" (replayed)") : "");
    case "node.chunk":
      return `${event.port ?? "emit"}[${event.index}] ${short(event.chunk)}`;
    case "node.retry":
      return c.yellow(
        `attempt ${event.attempt} failed (${event.error.code}: ${event.error.message}); retry in ${event.delayMs}ms`,
      );
    case "node.error":
      return (
        c.red(`${event.error.code}: ${event.error.message}`) +
        c.dim(` after ${plural(event.attempts, "attempt")}`)
      );
    case "node.end":
      return c.dim(`${event.durationMs}ms, ${plural(event.attempts, "attempt")}`);
    case "node.skipped":
      return c.yellow(`skipped (${event.reason})`);
    case "run.end": {
      const status = event.status === "ok" ? c.green(event.status) : c.red(event.status);
      const error = event.error ? c.red(` ${event.error.code}: ${event.error.message}`) : "";
      return `${status} in ${event.durationMs}ms${error}`;
    }
  }
}

const TYPE_WIDTH = 13;

/**
 * One pretty line per event: time since the run started, event type, node id, short detail.
 * `   3ms node.end      greet  1ms, 1 attempt`
 */
export function prettyLine(
  event: RunEvent,
  startedAt: number,
  kinds: ReadonlyMap<string, string>,
  c: Colors,
): string {
  const offset = c.dim(`${String(Math.max(0, Math.round(event.at - startedAt))).padStart(5)}ms`);
  const colour =
    event.type === "node.error" || (event.type === "run.end" && event.status !== "ok")
      ? c.red
      : event.type === "node.retry" || event.type === "node.skipped"
        ? c.yellow
        : event.type === "node.end" || event.type === "run.end"
          ? c.green
          : c.cyan;
  const type = colour(event.type.padEnd(TYPE_WIDTH));
  const node = "nodeId" in event ? `${c.bold(event.nodeId)} ` : "";
  return `${offset} ${type} ${node}${detail(event, kinds, c)}\n`;
}

/**
 * The output as a plain value: streams are read to the end and become the list of their chunks (also a
 * `respond` node's streamed `body`). This is what is printed and compared with `--expect`.
 */
export async function materialize(output: unknown): Promise<unknown> {
  if (isStream(output)) return await chunksOf(output);
  if (output && typeof output === "object" && isStream((output as { body?: unknown }).body)) {
    const body = await chunksOf((output as { body: ChunkStream | ReadableStream }).body);
    return { ...(output as object), body };
  }
  return output;
}

/** A pumped stream, or one handed over as it is (a platform byte stream with one reader: kernel/hand-off.ts). */
const isStream = (value: unknown): value is ChunkStream | ReadableStream =>
  value instanceof ChunkStream || value instanceof ReadableStream;

async function chunksOf(stream: ChunkStream | ReadableStream): Promise<unknown[]> {
  if (stream instanceof ChunkStream) return await stream.collect();
  const chunks: unknown[] = [];
  for await (const chunk of stream as ReadableStream<unknown>) chunks.push(chunk);
  return chunks;
}

/** The output normalised through JSON (bytes and streams described), for printing and comparing. */
export const plainJson = (value: unknown): unknown =>
  value === undefined ? null : JSON.parse(JSON.stringify(value, jsonReplacer) ?? "null");
