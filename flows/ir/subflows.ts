import type { FlowDocument, Json } from "./types.ts";

/** The kind that runs another flow of the deployment, named by `config.flow`. */
export const SUBFLOW_KIND = "subflow";
const MAP_KIND = "map";

/** A `subflow` call written in a flow: by a node, or by a `map` node's template (`config.node`, at any depth). */
export interface SubflowCall {
  /** The called flow's id (`config.flow`). */
  flow: string;
  /** The node that makes the call (the `map` node, for a template). */
  nodeId: string;
  /** True when the call is a map template's. */
  template: boolean;
  /** JSON pointer of `config.flow`. */
  pointer: string;
}

const objectOf = (value: unknown): Record<string, Json> =>
  value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, Json>) : {};

/**
 * Every `subflow` call of a flow whose `config.flow` is a string, in document order.
 * @example subflowCalls(doc).map((c) => c.flow) // ["notify-customer"]
 */
export function subflowCalls(doc: FlowDocument): SubflowCall[] {
  const calls: SubflowCall[] = [];
  const visit = (body: Record<string, Json>, nodeId: string, pointer: string, template: boolean): void => {
    const config = objectOf(body.config);
    if (body.kind === SUBFLOW_KIND && typeof config.flow === "string")
      calls.push({ flow: config.flow, nodeId, template, pointer: `${pointer}/config/flow` });
    if (body.kind === MAP_KIND && config.node !== undefined)
      visit(objectOf(config.node), nodeId, `${pointer}/config/node`, true);
  };
  doc.nodes.forEach((node, i) => {
    visit(node as unknown as Record<string, Json>, node.id, `/nodes/${i}`, false);
  });
  return calls;
}

/**
 * The ids of the flows a flow calls, directly or through the flows it calls, among `flows` (by id); the flow
 * itself is not included unless a call leads back to it.
 */
export function calledFlows(doc: FlowDocument, flows: ReadonlyMap<string, FlowDocument>): Set<string> {
  const found = new Set<string>();
  const pending = [doc];
  for (let next = pending.pop(); next; next = pending.pop()) {
    for (const call of subflowCalls(next)) {
      const callee = flows.get(call.flow);
      if (found.has(call.flow) || !callee) continue;
      found.add(call.flow);
      pending.push(callee);
    }
  }
  return found;
}
