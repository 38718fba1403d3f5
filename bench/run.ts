import { benchKernel } from "./kernel.ts";

/** `npm run bench`: each benchmark module, in order. Add a module by adding a line. */
const benchmarks: readonly (() => Promise<unknown>)[] = [benchKernel];

for (const bench of benchmarks) {
  await bench();
  console.log("");
}
