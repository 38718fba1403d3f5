import { fileText, SECTION_TITLES, stateText, summaryText, versionText } from "./render-text.ts";
import type { Change, ChangePlan, FlowChange } from "./types.ts";
import { CHANGE_SECTIONS } from "./types.ts";

/**
 * The change plan as GitHub Markdown, for a pull-request comment: a title, a table of the changed flows, then
 * each flow's changes by section (breaking ones first in a caution note), shared triggers and problems. Kept
 * under `maxLength` characters (GitHub refuses comments over 65,536): flows that do not fit keep their row in
 * the table and lose their details.
 */

export interface MarkdownOptions {
  /** Title of the comment (default "Flow plan"). */
  title?: string;
  /** Longest text returned (default 60,000). */
  maxLength?: number;
}

const ICONS: Readonly<Record<Change["op"], string>> = {
  added: "➕",
  removed: "➖",
  changed: "✏️",
  renamed: "🔀",
};

const STATUS: Readonly<Record<FlowChange["status"], string>> = {
  added: "added",
  removed: "removed",
  changed: "changed",
};

const escapeHtml = (text: string): string =>
  text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** A table cell: `|` escaped (also inside code spans, as GitHub wants), no line breaks. */
const cell = (text: string): string => text.replace(/\|/g, "\\|").replace(/\n/g, " ");

const title = (text: string): string => text.charAt(0).toUpperCase() + text.slice(1);

function row(flow: FlowChange): string {
  const d = flow.determinism;
  const determinism =
    d.before && d.after && d.before !== d.after
      ? `\`${d.before}\` → \`${d.after}\``
      : `\`${d.after ?? d.before}\``;
  const effects = (list: string[]) => list.map((e) => `\`${e}\``).join(", ") || "none";
  const e = flow.effects;
  const effect =
    flow.status === "changed" && effects(e.before) !== effects(e.after)
      ? `${effects(e.before)} → ${effects(e.after)}`
      : effects(flow.status === "removed" ? e.before : e.after);
  return `| \`${flow.id}\` | ${STATUS[flow.status]} | ${flow.changes.length} | ${flow.breaking || ""} | ${cell(determinism)} | ${cell(effect)} |`;
}

function details(flow: FlowChange): string {
  const lines = [
    "<details open>",
    `<summary><code>${flow.id}</code> ${STATUS[flow.status]} ${escapeHtml(versionText(flow))} (<code>${escapeHtml(fileText(flow))}</code>)</summary>`,
    "",
  ];
  const breaking = flow.changes.filter((c) => c.breaking !== null);
  if (breaking.length > 0) {
    lines.push("> [!CAUTION]");
    for (const c of breaking) lines.push(`> **Breaking:** ${c.message}: ${c.breaking}  `);
    lines.push("");
  }
  for (const section of CHANGE_SECTIONS) {
    const changes = flow.changes.filter((c) => c.section === section);
    if (changes.length === 0) continue;
    lines.push(`**${title(SECTION_TITLES[section])}**`, "");
    for (const c of changes)
      lines.push(`- ${ICONS[c.op]} ${c.message}${c.breaking ? " **(breaking)**" : ""}`);
    lines.push("");
  }
  lines.push(`Now ${stateText(flow)}.`, "", "</details>", "");
  return lines.join("\n");
}

/**
 * The plan as Markdown (ends with a newline).
 * @example await github.comment({ body: renderChangePlanMarkdown(plan) })
 */
export function renderChangePlanMarkdown(plan: ChangePlan, options: MarkdownOptions = {}): string {
  const name = options.title ?? "Flow plan";
  const maxLength = options.maxLength ?? 60_000;
  if (plan.status === "unchanged" && plan.problems.length === 0) {
    const n = plan.summary.flows.after;
    return `### ${name}: no changes\n\n${n} flow${n === 1 ? "" : "s"} compared: nothing changes.\n`;
  }
  const head = [
    `### ${name}: ${summaryText(plan)}`,
    "",
    ...(plan.flows.length > 0
      ? [
          "| flow | status | changes | breaking | determinism | effects |",
          "| --- | --- | --- | --- | --- | --- |",
          ...plan.flows.map(row),
          "",
        ]
      : []),
  ].join("\n");
  const tail: string[] = [];
  if (plan.shared.length > 0)
    tail.push("**Shared by more than one flow**", "", ...plan.shared.map((s) => `- ⚠️ ${s.message}`), "");
  if (plan.problems.length > 0)
    tail.push(
      "**Not planned**",
      "",
      ...plan.problems.map((p) => `- ❌ ${p.side} \`${p.file}\`: \`${p.code}\` ${escapeHtml(p.message)}`),
      "",
    );
  const end = tail.join("\n");
  let body = head;
  let left = 0;
  for (const [i, flow] of plan.flows.entries()) {
    const part = details(flow);
    if (body.length + part.length + end.length + 200 > maxLength) {
      left = plan.flows.length - i;
      break;
    }
    body += `\n${part}`;
  }
  if (left > 0)
    body += `\n_The details of ${left} more flow${left === 1 ? "" : "s"} do not fit in one comment: run \`flows plan\` to see them._\n`;
  return `${body}\n${end}`.replace(/\n{3,}/g, "\n\n").replace(/\n*$/, "\n");
}
