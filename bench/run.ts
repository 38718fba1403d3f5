import { benchGithub } from "./github.ts";
import { benchKernel } from "./kernel.ts";
import { benchNodeRed } from "./node-red.ts";
import { benchPackage } from "./package.ts";
import { benchProbot } from "./probot.ts";
import { benchSse } from "./sse.ts";
import { benchStreaming } from "./streaming.ts";
import { benchValidate } from "./validate.ts";
import { benchWorkerCost } from "./worker-cost.ts";

/** `npm run bench`: each benchmark module, in order. Add a module by adding a line. */
const benchmarks: readonly (() => Promise<unknown>)[] = [
  benchValidate,
  benchKernel,
  benchSse,
  benchPackage,
  benchWorkerCost,
  benchGithub,
  benchProbot,
  benchNodeRed,
  benchStreaming,
];

for (const bench of benchmarks) {
  await bench();
  console.log("");
}
