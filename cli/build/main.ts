import { relative } from "node:path";
import { defaultCatalog } from "../catalog.ts";
import { buildBuiltinFlows } from "./builtin-flows.ts";
import { buildValidators } from "./validators.ts";

/** `npm run build`: generates what the runtime imports but must not compute at run time. */
async function main(): Promise<void> {
  const report = await buildValidators(defaultCatalog());
  const size = `${(report.bytes / 1024).toFixed(1)} KB`;
  console.log(
    `build: wrote ${relative(process.cwd(), report.file)} (flow schema + ${report.kinds} kind configs, ${size}) in ${Math.round(report.ms)} ms`,
  );
  const builtins = await buildBuiltinFlows();
  console.log(`build: embedded ${builtins} built-in flows in flows/generated/builtin-flows.js`);
}

main().catch((error: unknown) => {
  console.error(`build failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
