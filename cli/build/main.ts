import { generate } from "./generate.ts";

/** `npm run generate` (also `prepare` and `pretest`): the generated modules under `flows/generated/`. */
generate().catch((error: unknown) => {
  console.error(`build failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
