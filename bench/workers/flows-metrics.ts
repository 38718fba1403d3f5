import type { FlowDocument } from "../../flows/ir/types.ts";
import { createWorker } from "../../hosts/workers/worker.ts";
import { BUILTIN_KINDS, createRegistry } from "../../kernel/index.ts";
import { chainFlow } from "./chain-flow.ts";

/**
 * Bench worker for `bench/metrics.ts`: the 1-node chain without metrics (`/chain1`), with a data point per run
 * (`/chain1-metrics`) and with one in ten ok runs written (`/chain1-sampled`), to the `METRICS` dataset.
 */
const withMetrics = (doc: FlowDocument, metrics: FlowDocument["metrics"]): FlowDocument => ({
  ...doc,
  bindings: { METRICS: { type: "analyticsEngine", dataset: "bench_runs" } },
  ...(metrics ? { metrics } : {}),
});

const worker = createWorker(
  [
    chainFlow("chain1", 1),
    withMetrics(chainFlow("chain1-metrics", 1), {}),
    withMetrics(chainFlow("chain1-sampled", 1), { sample: 0.1 }),
  ],
  { registry: createRegistry(BUILTIN_KINDS), log: () => {} },
);

export default { fetch: worker.fetch };
