import type { DurableRunView } from "../../hosts/workers/durable/api.ts";
import type { DurableWait } from "../../hosts/workers/runs/object.ts";
import type { RunRecord } from "../../hosts/workers/runs/record.ts";
import type { RunsPage } from "../../hosts/workers/runs/store.ts";
import type { Colors } from "../color.ts";

/** Human output of `flows runs list` and `flows runs show`: aligned columns, times in UTC, statuses coloured. */

/** `2026-12-02 14:03:05.123` (UTC). */
export const timeText = (ms: number): string => new Date(ms).toISOString().replace("T", " ").replace("Z", "");

/** Green when it ended well, plain while it goes on, red otherwise. */
const statusText = (status: string, colors: Colors): string =>
  status === "ok"
    ? colors.green(status)
    : GOING_ON.has(status) || status.startsWith("waiting")
      ? status
      : colors.red(status);
const GOING_ON = new Set(["running", "waiting", "queued", "paused"]);

/** What a durable run waits for: `event decision until 2026-12-05 10:00:00.000`. */
const waitsText = (waits: readonly DurableWait[] | undefined): string =>
  (waits ?? [])
    .map((w) => `${w.kind === "event" ? `event ${w.event}` : "sleep"} until ${timeText(Date.parse(w.until))}`)
    .join(", ");

/** Plain cells padded to their column's widest; `paint` then colours a cell (padding stays uncoloured). */
function table(
  head: string[],
  rows: string[][],
  colors: Colors,
  paint: (column: number, cell: string) => string,
) {
  const all = [head, ...rows];
  const widths = head.map((_, i) => Math.max(...all.map((row) => (row[i] ?? "").length)));
  const line = (row: string[], style: (column: number, cell: string) => string): string =>
    row
      .map((cell, i) => style(i, cell) + (i === row.length - 1 ? "" : " ".repeat(widths[i]! - cell.length)))
      .join("  ")
      .trimEnd();
  return [colors.dim(line(head, (_, cell) => cell)), ...rows.map((row) => line(row, paint))].join("\n");
}

/** A page of runs, newest first, and how to get the next one. */
export function formatList(flowId: string, page: RunsPage, colors: Colors): string {
  if (page.runs.length === 0) return `no recorded runs of \`${flowId}\`\n`;
  const rows = page.runs.map((run) => [
    timeText(run.startedAt),
    run.status === "waiting"
      ? `waiting for ${waitsText((run as { waitingFor?: DurableWait[] }).waitingFor)}`
      : run.status,
    // A run going on (durable) has no end yet.
    run.endedAt > 0 ? String(run.endedAt - run.startedAt) : "",
    `${run.trigger.type}:${run.trigger.id}`,
    run.flowVersion,
    run.runId,
  ]);
  const head = ["started (UTC)", "status", "ms", "trigger", "version", "run id"];
  const text = table(head, rows, colors, (column, cell) => (column === 1 ? statusText(cell, colors) : cell));
  const next = page.cursor ? `\n${colors.dim(`next page: --cursor ${page.cursor}`)}` : "";
  return `${text}${next}\n`;
}

const errorText = (error: unknown): string => {
  const e = error as { code?: string; message?: string; truncated?: boolean; bytes?: number } | undefined;
  if (!e) return "";
  if (e.truncated) return `(cut: ${e.bytes} bytes)`;
  return `${e.code ?? "?"}: ${e.message ?? ""}`;
};

/** At most `max` characters of a value's JSON on one line. */
const preview = (value: unknown, max = 200): string => {
  const text = JSON.stringify(value) ?? "undefined";
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
};

/** A durable run as the run API answers it (`DurableRunView`): where its instance is, what it waits for. */
export function formatDurable(view: DurableRunView, colors: Colors): string {
  const trigger = view.trigger ? `  trigger ${view.trigger.type}:${view.trigger.id}` : "";
  const lines = [
    `${colors.bold(`run ${view.runId}`)}  durable flow ${view.flowId}${view.flowVersion ? ` ${view.flowVersion}` : ""}${trigger}`,
  ];
  const started = view.startedAt === undefined ? "" : `, started ${timeText(view.startedAt)} UTC`;
  const took = view.durationMs === undefined ? "" : ` in ${view.durationMs} ms`;
  lines.push(`${statusText(view.status, colors)}${took}${started} (instance ${view.instanceStatus})`);
  if (view.waitingFor?.length) lines.push(`waiting for ${waitsText(view.waitingFor)}`);
  if (view.error) {
    const node = (view.error as { nodeId?: string }).nodeId;
    lines.push(`${colors.red("error")} ${errorText(view.error)}${node ? ` (node ${node})` : ""}`);
  }
  if (view.output !== undefined) lines.push(`output: ${preview(view.output)}`);
  return `${lines.join("\n")}\n`;
}

/** One run: what it was, how it ended, each node, the events kept, the output. */
export function formatRecord(record: RunRecord, colors: Colors): string {
  const lines = [
    `${colors.bold(`run ${record.runId}`)}  flow ${record.flowId} ${record.flowVersion}  trigger ${record.trigger.type}:${record.trigger.id}`,
    `${statusText(record.status, colors)} in ${record.durationMs} ms, started ${timeText(record.startedAt)} UTC, kept until ${timeText(record.expiresAt)} UTC`,
  ];
  if (record.error) {
    const node = (record.error as { nodeId?: string }).nodeId;
    lines.push(`${colors.red("error")} ${errorText(record.error)}${node ? ` (node ${node})` : ""}`);
  }
  const nodes = Object.entries(record.nodes);
  if (nodes.length > 0) {
    const rows = nodes.map(([id, node]) => [
      id,
      node.status,
      String(node.durationMs),
      String(node.attempts),
      errorText(node.error),
    ]);
    const head = ["node", "status", "ms", "attempts", "error"];
    const paint = (column: number, cell: string): string =>
      column === 1 ? statusText(cell, colors) : column === 4 && cell ? colors.red(cell) : cell;
    lines.push("", table(head, rows, colors, paint));
  }
  const events = record.events;
  lines.push(
    "",
    `events: ${events.stored} stored${events.count !== events.stored ? ` of ${events.count}` : ""}${events.truncated ? " (the log was full)" : ""}`,
  );
  if (record.output !== undefined) lines.push(`output: ${preview(record.output)}`);
  return `${lines.join("\n")}\n`;
}
