import { benchKernel } from "./kernel.ts";
import { benchSse } from "./sse.ts";
import { benchValidate } from "./validate.ts";

/** `npm run bench`: each benchmark module, in order. Add a module by adding a line. */
const benchmarks: readonly (() => Promise<unknown>)[] = [benchValidate, benchKernel, benchSse];

for (const bench of benchmarks) {
  await bench();
  console.log("");
}
