import { createWorker } from "../../hosts/workers/worker.ts";
import { BUILTIN_KINDS, createRegistry } from "../../kernel/index.ts";
import { chainFlow } from "./chain-flow.ts";

/**
 * Bench worker for `bench/recording.ts`: the 1-node chain three times, under each run-store policy: `/chain1`
 * the default (failed runs only; these succeed), `/chain1-none` (`runs: { record: none }`), `/chain1-all`
 * (`runs: { record: all }`: every run written, the control that shows the bench sees recording).
 */
const worker = createWorker(
  [
    chainFlow("chain1", 1),
    chainFlow("chain1-none", 1, { record: "none" }),
    chainFlow("chain1-all", 1, { record: "all" }),
  ],
  { registry: createRegistry(BUILTIN_KINDS), log: () => {} },
);

export default { fetch: worker.fetch };
export { FlowsRuns } from "../../hosts/workers/runs/object.ts";
