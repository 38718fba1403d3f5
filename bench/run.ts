import { benchKernel } from "./kernel.ts";
import { benchSse } from "./sse.ts";

/** `npm run bench`: each benchmark module, in order. Add a module by adding a line. */
const benchmarks: readonly (() => Promise<unknown>)[] = [benchKernel, benchSse];

for (const bench of benchmarks) {
  await bench();
  console.log("");
}
