import { createWorker } from "../../hosts/workers/worker.ts";
import { BUILTIN_KINDS, createRegistry } from "../../kernel/index.ts";
import { chainFlow } from "./chain-flow.ts";

/**
 * Bench worker for `bench/node-red.ts` and `bench/worker-cost.ts`: the flows runtime serving `POST /chain1` and
 * `POST /chain5` (`chain-flow.ts`). The same work as Node-RED's `http in` → function nodes → `http response`
 * (`bench/peers/node-red-server.ts`). Built as a packaged Worker is (`hosts/workers/worker.ts`, no run viewer).
 */
const worker = createWorker([chainFlow("chain1", 1), chainFlow("chain5", 5)], {
  registry: createRegistry(BUILTIN_KINDS),
  log: () => {},
});

export default { fetch: worker.fetch };
// The run store's class: `bench/worker-cost.ts` also serves this bundle with FLOWS_RUNS bound, as a packaged Worker
// has it (its flows record failed runs; these succeed, so nothing is written).
export { FlowsRuns } from "../../hosts/workers/runs/object.ts";
