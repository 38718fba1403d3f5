import type { FlowDocument, NodeDecl, RunsPolicy } from "../../flows/ir/types.ts";

/**
 * The chain flow of the bench workers: `POST /<id>`, a chain of `count` `transform` nodes (each
 * `{ n: input.n + 1 }`, the first reading `trigger.body.n`), the last one the run's output, answered as JSON.
 * `runs`: the flow's run-store policy (left out: the defaults).
 */
export function chainFlow(id: string, count: number, runs?: RunsPolicy): FlowDocument {
  const nodes: NodeDecl[] = Array.from({ length: count }, (_, i) => ({
    id: `step${i + 1}`,
    kind: "transform",
    inputs: { n: i === 0 ? "${{ trigger.body.n }}" : `\${{ nodes.step${i}.out.n }}` },
    config: { value: "${{ { 'n': input.n + 1 } }}" },
  }));
  return {
    flows: 1,
    id,
    version: "1.0.0",
    triggers: [{ type: "http", method: "POST", path: `/${id}`, response: "json" }],
    nodes,
    output: `step${count}`,
    ...(runs ? { runs } : {}),
  };
}
