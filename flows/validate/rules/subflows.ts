import { childPointer } from "../../load/index.ts";
import { configOf, type FlowCheck, nodeLabel } from "../context.ts";
import { closest, list, quote } from "../words.ts";

/** The kind that calls another flow of the deployment (`config.flow`). */
export const SUBFLOW_KIND = "subflow";

/** A `subflow` call found in a flow: a node, or a map template, with a literal `config.flow`. */
interface Call {
  flow: string;
  pointer: string;
  label: string;
}

function callsOf(check: FlowCheck): Call[] {
  const calls: Call[] = [];
  check.doc.nodes.forEach((node, i) => {
    const flow = configOf(node.config).flow;
    if (node.kind === SUBFLOW_KIND && typeof flow === "string")
      calls.push({ flow, pointer: `/nodes/${i}/config/flow`, label: nodeLabel(node.id, SUBFLOW_KIND) });
    for (const t of check.templates.get(i) ?? []) {
      if (t.spec.kind === SUBFLOW_KIND && typeof t.config.flow === "string")
        calls.push({
          flow: t.config.flow,
          pointer: childPointer(t.pointer, "config", "flow"),
          label: t.label,
        });
    }
  });
  return calls;
}

/**
 * Across the flows validated together (one deployment): every `subflow` node names a flow of the set.
 * `ids` holds the id of every file that loaded, checked or not, so a child with a schema error is not
 * reported as missing.
 */
export function checkSubflows(checks: readonly FlowCheck[], ids: ReadonlySet<string>): void {
  const known = [...ids].sort();
  for (const check of checks) {
    for (const call of callsOf(check)) {
      if (ids.has(call.flow)) continue;
      const guess = closest(call.flow, known);
      check.report(
        "FLOW_SUBFLOW_UNKNOWN",
        call.pointer,
        `${call.label} calls flow ${quote(call.flow)}, which is not among the flows validated together${guess ? `: did you mean ${quote(guess)}?` : ""} (flows: ${list(known)})`,
        {
          hint: "validate, run and package the called flow's file together with this one (name both files, or their folder), or fix `config.flow`",
        },
      );
    }
  }
}
