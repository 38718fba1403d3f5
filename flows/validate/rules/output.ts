import type { FlowCheck } from "../context.ts";
import { closest, list, quote } from "../words.ts";

/** The kind whose output answers the caller. */
export const RESPOND_KIND = "respond";

/**
 * Output rules: `output` names a node; without it, at most one `respond` node, and an HTTP route (JSON or
 * stream) warns when there is none (it would answer `null`).
 */
export function checkOutput(check: FlowCheck): void {
  const { output, nodes } = check.doc;
  if (output !== undefined) {
    if (!check.index.has(output) && !check.droppedNodes.has(output)) {
      const ids = [...check.index.keys()];
      const guess = closest(output, ids);
      check.report(
        "FLOW_OUTPUT_UNKNOWN_NODE",
        "/output",
        `\`output\` names ${quote(output)}, which is not a node of this flow${guess ? `: did you mean ${quote(guess)}?` : ""}`,
        { hint: `its nodes: ${list(ids)}` },
      );
    }
    return;
  }
  const responders = nodes.map((n, i) => [n, i] as const).filter(([n]) => n.kind === RESPOND_KIND);
  if (responders.length === 0) {
    // An SSE route streams the nodes' events and chunks: its answer is not the output alone.
    const i = check.doc.triggers.findIndex((t) => t.type === "http" && t.response !== "sse");
    const trigger = check.doc.triggers[i];
    if (trigger?.type === "http") {
      check.report(
        "FLOW_OUTPUT_MISSING",
        `/triggers/${i}`,
        `the flow answers ${trigger.method} ${trigger.path} with \`null\`: it has no \`respond\` node and no \`output\``,
        {
          hint: "set `output:` to the id of the node whose output is the answer, or end the flow with a `respond` node",
        },
      );
    }
  }
  if (responders.length > 1) {
    const i = responders[1]![1];
    check.report(
      "FLOW_OUTPUT_AMBIGUOUS",
      `/nodes/${i}/kind`,
      `the flow has ${responders.length} \`respond\` nodes (${list(responders.map(([n]) => n.id))}) and no \`output\`: which one answers is ambiguous`,
      { hint: "set `output:` to the id of the node whose output is the run's result" },
    );
  }
}
