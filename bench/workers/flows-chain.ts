import type { FlowDocument, NodeDecl } from "../../flows/ir/types.ts";
import { createWorker } from "../../hosts/workers/worker.ts";
import { BUILTIN_KINDS, createRegistry } from "../../kernel/index.ts";

/**
 * Bench worker for `bench/node-red.ts`: the flows runtime serving `POST /chain1` and `POST /chain5`, a chain of
 * 1 or 5 `transform` nodes (each `{ n: input.n + 1 }`, the first reading `trigger.body.n`), the last one the
 * run's output, answered as JSON. The same work as Node-RED's `http in` → function nodes → `http response`
 * (`bench/peers/node-red-server.ts`). Built as a packaged Worker is (`hosts/workers/worker.ts`, no run viewer).
 */
function chain(id: string, count: number): FlowDocument {
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
  };
}

const worker = createWorker([chain("chain1", 1), chain("chain5", 5)], {
  registry: createRegistry(BUILTIN_KINDS),
  log: () => {},
});

export default { fetch: worker.fetch };
// The run store's class: `bench/worker-cost.ts` also serves this bundle with FLOWS_RUNS bound, as a packaged Worker
// has it (its flows record failed runs; these succeed, so nothing is written).
export { FlowsRuns } from "../../hosts/workers/runs/object.ts";
