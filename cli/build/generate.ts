import { relative } from "node:path";
import { defaultCatalog } from "../catalog.ts";
import { buildBuiltinFlows } from "./builtin-flows.ts";
import { buildEditorSchema } from "./editor-schema.ts";
import { buildValidators } from "./validators.ts";

/** Generates what the runtime imports but must not compute at run time (`flows/generated/`). */
export async function generate(log: (line: string) => void = console.log): Promise<void> {
  const report = await buildValidators(defaultCatalog());
  const size = `${(report.bytes / 1024).toFixed(1)} KB`;
  log(
    `build: wrote ${relative(process.cwd(), report.file)} (flow schema + ${report.kinds} kind configs, ${size}) in ${Math.round(report.ms)} ms`,
  );
  const editor = await buildEditorSchema(defaultCatalog());
  log(
    `build: wrote ${relative(process.cwd(), editor.file)} (editor schema, ${editor.kinds} kinds, ${(editor.bytes / 1024).toFixed(1)} KB)`,
  );
  const builtins = await buildBuiltinFlows();
  log(`build: embedded ${builtins} built-in flows in flows/generated/builtin-flows.js`);
}
