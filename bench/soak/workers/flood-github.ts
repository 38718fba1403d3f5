import { ALL_CAPABILITY_KINDS } from "../../../capabilities/index.ts";
import type { FlowDocument } from "../../../flows/ir/types.ts";
import { createWorker, type FlowsWorker } from "../../../hosts/workers/index.ts";
import { BUILTIN_KINDS, createRegistry } from "../../../kernel/index.ts";

/**
 * Soak worker for `bench/soak/flood.ts`: the examples/github-app flows (validated by the driver in Node and
 * passed as the `SOAK_FLOWS` JSON binding, since a bundle cannot import YAML) served by the Workers host with
 * its default log sink (one JSON line per run on stdout) and the kernel's default logger: the driver captures
 * workerd's output and counts what a flood of bad webhooks writes.
 */
let worker: FlowsWorker | undefined;

export default {
  fetch(request: Request, env: { SOAK_FLOWS: FlowDocument[] }, ctx: ExecutionContext) {
    worker ??= createWorker(env.SOAK_FLOWS, {
      registry: createRegistry(BUILTIN_KINDS, ALL_CAPABILITY_KINDS),
    });
    return worker.fetch(request, env, ctx);
  },
};
export { FlowsRuntime } from "../../../hosts/workers/objects.ts";
