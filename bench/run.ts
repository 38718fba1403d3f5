import { benchGithub } from "./github.ts";
import { benchKernel } from "./kernel.ts";
import { benchMetrics } from "./metrics.ts";
import { benchNodeRed } from "./node-red.ts";
import { benchPackage } from "./package.ts";
import { benchProbot } from "./probot.ts";
import { benchRecording } from "./recording.ts";
import { benchScale } from "./scale.ts";
import { benchSse } from "./sse.ts";
import { benchStreaming } from "./streaming.ts";
import { benchValidate } from "./validate.ts";
import { benchWorkerCost } from "./worker-cost.ts";

/**
 * `npm run bench`: each benchmark module, in order; `npm run bench -- worker-cost sse` only those. Add a module
 * by adding a line.
 */
const benchmarks: Record<string, () => Promise<unknown>> = {
  validate: benchValidate,
  kernel: benchKernel,
  sse: benchSse,
  package: benchPackage,
  "worker-cost": benchWorkerCost,
  recording: benchRecording,
  metrics: benchMetrics,
  github: benchGithub,
  probot: benchProbot,
  "node-red": benchNodeRed,
  streaming: benchStreaming,
  scale: benchScale,
};

const asked = process.argv.slice(2);
const unknown = asked.filter((name) => !(name in benchmarks));
if (unknown.length > 0) {
  console.error(`unknown benchmark ${unknown.join(", ")}: choose from ${Object.keys(benchmarks).join(", ")}`);
  process.exit(2);
}
for (const [name, bench] of Object.entries(benchmarks)) {
  if (asked.length > 0 && !asked.includes(name)) continue;
  await bench();
  console.log("");
}
