import type { ExecutionPlan } from "../../kernel/plan.ts";
import { namedTriggers } from "../ir/triggers.ts";
import type { Effect, FlowDocument, TriggerDecl } from "../ir/types.ts";

/** A box of the picture: a trigger or a node. */
export interface GraphVertex {
  /** Unique in the graph: `trigger:<id>` or `node:<id>`. */
  key: string;
  kind: "trigger" | "node";
  /** Trigger id or node id. */
  id: string;
  /** Second line: the node's kind, or the trigger's type and what it listens to. */
  label: string;
  /** Nodes only. */
  effect?: Effect;
  /** The node gives the run's output. */
  output?: boolean;
}

/** An arrow: `data` (the target reads the source's output; `label` the input ports), `after` (order only) or `start`. */
export interface GraphEdge {
  from: string;
  to: string;
  type: "data" | "after" | "start";
  label?: string;
}

export interface FlowGraph {
  flowId: string;
  version: string;
  vertices: GraphVertex[];
  edges: GraphEdge[];
}

/** What a trigger listens to, in a few words: `POST /orders/:id`, `queue orders`, `cron 0 7 * * MON-FRI`. */
export function triggerLabel(trigger: TriggerDecl): string {
  switch (trigger.type) {
    case "http":
      return `${trigger.method} ${trigger.path}`;
    case "queue":
      return `queue ${trigger.queue}`;
    case "cron":
      return `cron ${trigger.schedule}`;
    case "github":
      return `github ${trigger.events.join(", ")}`;
  }
}

/**
 * The graph of a validated flow, with its edges taken from the execution plan (the kernel's own dependency
 * extraction: `inputSources` per input port, `skipSources` for references in config and `when`), `after`
 * lists as order-only edges, and one `start` edge from every trigger to each node with nothing to wait for.
 * @example const graph = flowGraph(doc, createPlan(doc, { registry }))
 */
export function flowGraph(doc: FlowDocument, plan: ExecutionPlan): FlowGraph {
  const key = (index: number): string => `node:${plan.nodes[index]!.id}`;
  const triggers = namedTriggers(doc);
  const vertices: GraphVertex[] = [
    ...triggers.map(({ id, trigger }) => ({
      key: `trigger:${id}`,
      kind: "trigger" as const,
      id,
      label: triggerLabel(trigger),
    })),
    ...plan.nodes.map((node) => ({
      key: key(node.index),
      kind: "node" as const,
      id: node.id,
      label: node.kindName,
      effect: node.effect,
      ...(node.isOutput ? { output: true } : {}),
    })),
  ];
  const edges: GraphEdge[] = [];
  for (const node of plan.nodes) {
    const ports = new Map<number, string[]>();
    for (const input of node.inputSources) {
      for (const source of input.sources) {
        const names = ports.get(source.node) ?? [];
        if (!names.includes(input.name)) names.push(input.name);
        ports.set(source.node, names);
      }
    }
    for (const source of node.skipSources) {
      const names = ports.get(source) ?? [];
      ports.set(source, names);
    }
    for (const [source, names] of ports) {
      edges.push({
        from: key(source),
        to: key(node.index),
        type: "data",
        ...(names.length > 0 ? { label: names.join(", ") } : {}),
      });
    }
    for (const after of doc.nodes[node.index]?.after ?? []) {
      const source = plan.indexById.get(after);
      if (source !== undefined) edges.push({ from: key(source), to: key(node.index), type: "after" });
    }
  }
  for (const { id } of triggers) {
    for (const root of plan.roots) edges.push({ from: `trigger:${id}`, to: key(root), type: "start" });
  }
  return { flowId: doc.id, version: doc.version, vertices, edges };
}
