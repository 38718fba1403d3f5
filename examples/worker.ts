import { validateFlows } from "../flows/validate/index.ts";
import { createWorker } from "../hosts/workers/index.ts";
import { BUILTIN_KIND_SPECS } from "../kernel/index.ts";
import { EXAMPLE_SOURCES } from "./sources.ts";

/**
 * The example flows served on workerd (`npm start`). The flows are validated inside the worker, with the
 * build-time compiled validators: a worker cannot generate code, so this also proves none is generated.
 */
const validation = validateFlows(EXAMPLE_SOURCES, BUILTIN_KIND_SPECS);
if (!validation.ok) {
  const lines = validation.diagnostics.map((d) => `${d.file}:${d.line}:${d.column} ${d.code} ${d.message}`);
  throw new Error(`example flows are invalid:\n${lines.join("\n")}`);
}

const worker = createWorker(validation.flows.map((f) => f.document));

// A development aid: validate a posted flow file against this worker's node kinds, at request time.
worker.app.post("/_flows/validate", async (c) => {
  const file = c.req.query("file") ?? "posted.yaml";
  const result = validateFlows([{ file, text: await c.req.text() }], BUILTIN_KIND_SPECS);
  return c.json({ ok: result.ok, diagnostics: result.diagnostics }, result.ok ? 200 : 422);
});

export default worker;
