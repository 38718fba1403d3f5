import { SUBFLOW_KIND, subflowCalls } from "../../ir/subflows.ts";
import { type FlowCheck, nodeLabel } from "../context.ts";
import { closest, list, quote } from "../words.ts";

/**
 * Across the flows validated together (one deployment): every `subflow` node (and map template) names a flow of
 * the set. `ids` holds the id of every file that loaded, checked or not, so that a child with a schema error is
 * not also reported as missing.
 */
export function checkSubflows(checks: readonly FlowCheck[], ids: ReadonlySet<string>): void {
  const known = [...ids].sort();
  for (const check of checks) {
    for (const call of subflowCalls(check.doc)) {
      if (ids.has(call.flow)) continue;
      const guess = closest(call.flow, known);
      const label = call.template
        ? `the \`${SUBFLOW_KIND}\` template of ${nodeLabel(call.nodeId, "map")}`
        : nodeLabel(call.nodeId, SUBFLOW_KIND);
      check.report(
        "FLOW_SUBFLOW_UNKNOWN",
        call.pointer,
        `${label} calls flow ${quote(call.flow)}, which is not among the flows validated together${guess ? `: did you mean ${quote(guess)}?` : ""} (flows: ${list(known)})`,
        {
          hint: "validate, run and package the called flow's file together with this one (name both files, or their folder), or fix `config.flow`",
        },
      );
    }
  }
}
