import type { Change, ChangePlan, ChangeSection, FlowChange } from "./types.ts";
import { CHANGE_SECTIONS } from "./types.ts";

/**
 * The change plan for people, in a terminal: a summary line, then each flow with its changes grouped by
 * section, breaking ones marked, then shared triggers and problems. Empty when nothing changed (the caller
 * decides what to say then). Colours come from the caller (`cli/color.ts`), so this stays pure.
 */

/** Text styles; the default leaves text as it is. */
export interface TextStyle {
  red(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
  cyan(text: string): string;
  dim(text: string): string;
  bold(text: string): string;
}

const same = (text: string): string => text;
export const PLAIN_STYLE: TextStyle = {
  red: same,
  green: same,
  yellow: same,
  cyan: same,
  dim: same,
  bold: same,
};

export const SECTION_TITLES: Readonly<Record<ChangeSection, string>> = {
  flow: "flow",
  triggers: "triggers",
  responses: "responses",
  bindings: "bindings and secrets",
  nodes: "nodes",
  edges: "edges",
  policies: "retry and timeout",
  effects: "effects and determinism",
};

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? "" : "s"}`;

/** `2 flows (1 added, 1 changed), 7 changes, 1 breaking`, or `no changes`. */
export function summaryText(plan: ChangePlan): string {
  const f = plan.summary.flows;
  const flows = f.added + f.removed + f.changed;
  if (flows === 0 && plan.shared.length === 0) return "no changes";
  const parts = [
    f.added ? `${f.added} added` : "",
    f.removed ? `${f.removed} removed` : "",
    f.changed ? `${f.changed} changed` : "",
  ].filter(Boolean);
  return `${plural(flows, "flow")}${parts.length ? ` (${parts.join(", ")})` : ""}, ${plural(plan.summary.changes, "change")}, ${plan.summary.breaking} breaking`;
}

/** `1.0.0 → 1.1.0`, or the one version. */
export function versionText(flow: FlowChange): string {
  const { before, after } = flow.version;
  if (before && after && before !== after) return `${before} → ${after}`;
  return after ?? before ?? "";
}

/** `a.yaml → b.yaml`, or the one file. */
export function fileText(flow: FlowChange): string {
  const { before, after } = flow.file;
  if (before && after && before !== after) return `${before} → ${after}`;
  return after ?? before ?? "";
}

/** `determinism \`strict\`; effects \`pure\`, \`write\``: the flow as it is after the change (or before, removed). */
export function stateText(flow: FlowChange): string {
  const removed = flow.status === "removed";
  const determinism = removed ? flow.determinism.before : flow.determinism.after;
  const effects = removed ? flow.effects.before : flow.effects.after;
  return `determinism \`${determinism}\`; effects ${effects.map((e) => `\`${e}\``).join(", ") || "none"}`;
}

function symbol(op: Change["op"] | FlowChange["status"], style: TextStyle): string {
  if (op === "added") return style.green("+");
  if (op === "removed") return style.red("-");
  if (op === "renamed") return style.cyan(">");
  return style.yellow("~");
}

function flowText(flow: FlowChange, style: TextStyle): string[] {
  const lines = [
    `${symbol(flow.status, style)} ${style.bold(flow.id)} ${flow.status} ${versionText(flow)} ${style.dim(`(${fileText(flow)})`)}`,
  ];
  for (const section of CHANGE_SECTIONS) {
    const changes = flow.changes.filter((c) => c.section === section);
    if (changes.length === 0) continue;
    lines.push(`  ${style.dim(SECTION_TITLES[section])}`);
    for (const c of changes) {
      lines.push(`    ${symbol(c.op, style)} ${c.message}`);
      if (c.breaking) lines.push(`      ${style.red(style.bold("! breaking:"))} ${c.breaking}`);
    }
  }
  lines.push(`  ${style.dim(`now ${stateText(flow)}`)}`);
  return lines;
}

/**
 * The plan as terminal text ending in a newline, or "" when nothing changed and nothing is wrong.
 * @example process.stdout.write(renderChangePlanText(plan, colorsFor(process.stdout)))
 */
export function renderChangePlanText(plan: ChangePlan, style: TextStyle = PLAIN_STYLE): string {
  if (plan.status === "unchanged" && plan.problems.length === 0) return "";
  const head = `flows plan: ${summaryText(plan)}`;
  const lines = [plan.summary.breaking > 0 ? style.red(style.bold(head)) : style.bold(head)];
  for (const flow of plan.flows) lines.push("", ...flowText(flow, style));
  if (plan.shared.length > 0) {
    lines.push("", style.bold("shared by more than one flow"));
    for (const s of plan.shared) lines.push(`  ${style.yellow("!")} ${s.message}`);
  }
  if (plan.problems.length > 0) {
    lines.push("", style.bold("not planned"));
    for (const p of plan.problems)
      lines.push(`  ${style.red("✗")} ${p.side} ${p.file}: ${p.code} ${p.message}`);
  }
  return `${lines.join("\n")}\n`;
}
