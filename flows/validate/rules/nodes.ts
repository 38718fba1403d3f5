import { childPointer } from "../../load/index.ts";
import { type FlowCheck, nodeLabel } from "../context.ts";
import { checkBare } from "../expressions.ts";
import { nodeEffect } from "../summary.ts";
import { count, quote } from "../words.ts";
import { checkBody } from "./kinds.ts";

/** Nodes per flow: beyond this a flow is slow to plan and hard to read; split it into subflows. */
export const MAX_NODES = 1_000;

/**
 * Node rules: node count, duplicate ids, kinds and configs, inputs, the expressions of every node (inputs,
 * config, `when`, `idempotencyKey`, map templates), and `idempotencyKey` on a pure node. Fills `check.specs`,
 * `check.index` and `check.references` for the rules that follow.
 */
export function checkNodes(check: FlowCheck): void {
  const nodes = check.doc.nodes;
  if (nodes.length > MAX_NODES) {
    check.report(
      "FLOW_TOO_MANY_NODES",
      "/nodes",
      `the flow has ${count(nodes.length)} nodes; the limit is ${count(MAX_NODES)}`,
      { key: true, hint: "move parts of it into other flows and call them with `subflow` nodes" },
    );
  }
  nodes.forEach((node, i) => {
    const pointer = `/nodes/${i}`;
    const first = check.index.get(node.id);
    if (first === undefined) check.index.set(node.id, i);
    else {
      check.report(
        "FLOW_DUPLICATE_NODE_ID",
        `${pointer}/id`,
        `node id ${quote(node.id)} is used twice (first at line ${check.lineOf(`/nodes/${first}`)}): node ids must be unique in a flow`,
        { hint: "rename one of the nodes, and the references to it" },
      );
    }
    const place = { from: i, input: false, item: false };
    const spec = checkBody(check, { ...node, label: (kind) => nodeLabel(node.id, kind) }, pointer, place);
    check.specs[i] = spec;
    if (node.when !== undefined) checkBare(check, node.when, childPointer(pointer, "when"), place);
    if (node.idempotencyKey !== undefined) {
      // The kernel evaluates the key with the node's inputs in scope, like its config expressions.
      checkBare(check, node.idempotencyKey, childPointer(pointer, "idempotencyKey"), {
        ...place,
        input: true,
      });
      if (spec && nodeEffect(check, i) === "pure") {
        check.report(
          "FLOW_IDEMPOTENCY_KEY_ON_PURE",
          childPointer(pointer, "idempotencyKey"),
          `${nodeLabel(node.id, spec.kind)} is pure: its idempotencyKey has no effect`,
          { key: true, hint: "remove it; only write and external nodes use an idempotency key" },
        );
      }
    }
  });
}
