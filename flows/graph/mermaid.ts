import type { Effect } from "../ir/types.ts";
import type { FlowGraph } from "./model.ts";

/** Fill and stroke of each effect, shared by the Mermaid classes and the SVG boxes. */
export const EFFECT_COLORS: Readonly<Record<Effect, { fill: string; stroke: string }>> = Object.freeze({
  pure: { fill: "#e8f5e9", stroke: "#2e7d32" },
  read: { fill: "#e3f2fd", stroke: "#1565c0" },
  write: { fill: "#fff3e0", stroke: "#ef6c00" },
  external: { fill: "#fce4ec", stroke: "#c2185b" },
});
export const TRIGGER_COLORS = Object.freeze({ fill: "#f3e5f5", stroke: "#6a1b9a" });

/** A Mermaid-safe node name: `node:fetch` → `n_fetch`, `trigger:http-1` → `t_http_1`. */
const name = (key: string): string =>
  (key.startsWith("trigger:") ? "t_" : "n_") + key.slice(key.indexOf(":") + 1).replace(/[^A-Za-z0-9_]/g, "_");

/** Text inside a quoted Mermaid label: quotes and angle brackets as entities. */
const text = (value: string): string =>
  value.replace(/"/g, "#quot;").replace(/</g, "#lt;").replace(/>/g, "#gt;");

/**
 * The flow as a Mermaid flowchart (left to right): triggers as parallelograms, nodes labelled id and kind and
 * coloured by effect (classes `pure`, `read`, `write`, `external`), data edges labelled with the input ports,
 * `after` edges dashed, the output node with a double border.
 * @example writeFile("flow.mmd", toMermaid(flowGraph(doc, plan)))
 */
export function toMermaid(graph: FlowGraph): string {
  const lines = ["flowchart LR", `  %% ${graph.flowId}@${graph.version}`];
  for (const v of graph.vertices) {
    const label = `"<b>${text(v.id)}</b><br/>${text(v.label)}"`;
    if (v.kind === "trigger") lines.push(`  ${name(v.key)}[/${label}/]:::trigger`);
    else if (v.output) lines.push(`  ${name(v.key)}[[${label}]]:::${v.effect}`);
    else lines.push(`  ${name(v.key)}[${label}]:::${v.effect}`);
  }
  for (const e of graph.edges) {
    const arrow = e.type === "after" ? "-.->" : e.type === "start" ? "==>" : "-->";
    const label = e.type === "after" ? "|after|" : e.label ? `|"${text(e.label)}"|` : "";
    lines.push(`  ${name(e.from)} ${arrow}${label} ${name(e.to)}`);
  }
  for (const [effect, c] of Object.entries(EFFECT_COLORS)) {
    lines.push(`  classDef ${effect} fill:${c.fill},stroke:${c.stroke},color:#000`);
  }
  lines.push(`  classDef trigger fill:${TRIGGER_COLORS.fill},stroke:${TRIGGER_COLORS.stroke},color:#000`);
  return `${lines.join("\n")}\n`;
}
